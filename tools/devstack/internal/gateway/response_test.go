package gateway_test

import (
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/mtls-api/mtls-api/tools/devstack/internal/gateway"
)

func TestDecodeResponse(t *testing.T) {
	tests := []struct {
		name       string
		payload    string
		wantStatus int
		wantHeader http.Header
		wantBody   string
	}{
		{
			name:       "full response",
			payload:    `{"statusCode":201,"headers":{"content-type":"application/json","cache-control":"no-store"},"body":"{\"ok\":true}"}`,
			wantStatus: 201,
			wantHeader: http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}},
			wantBody:   `{"ok":true}`,
		},
		{
			name:       "base64 body",
			payload:    `{"statusCode":200,"body":"/wD+","isBase64Encoded":true}`,
			wantStatus: 200,
			wantHeader: http.Header{},
			wantBody:   "\xff\x00\xfe",
		},
		{
			name:       "multi-value headers and cookies",
			payload:    `{"statusCode":200,"headers":{"x-a":"1"},"multiValueHeaders":{"x-a":["1","2"],"x-b":["3"]},"cookies":["a=1; Secure","b=2"]}`,
			wantStatus: 200,
			wantHeader: http.Header{"X-A": {"1", "2"}, "X-B": {"3"}, "Set-Cookie": {"a=1; Secure", "b=2"}},
		},
		{
			name:       "server-owned headers dropped",
			payload:    `{"statusCode":204,"headers":{"content-length":"99","connection":"close"},"multiValueHeaders":{"transfer-encoding":["chunked"]}}`,
			wantStatus: 204,
			wantHeader: http.Header{},
		},
		{
			name:       "missing body",
			payload:    `{"statusCode":404}`,
			wantStatus: 404,
			wantHeader: http.Header{},
		},
		{
			name:       "object without statusCode",
			payload:    `{"status":"ok"}`,
			wantStatus: 200,
			wantHeader: http.Header{"Content-Type": {"application/json"}},
			wantBody:   `{"status":"ok"}`,
		},
		{
			name:       "JSON string",
			payload:    `"Hello from Lambda!"`,
			wantStatus: 200,
			wantHeader: http.Header{"Content-Type": {"application/json"}},
			wantBody:   "Hello from Lambda!",
		},
		{
			name:       "JSON number",
			payload:    ` 42 `,
			wantStatus: 200,
			wantHeader: http.Header{"Content-Type": {"application/json"}},
			wantBody:   "42",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := gateway.DecodeResponse([]byte(tt.payload))
			if err != nil {
				t.Fatalf("DecodeResponse(%s) = %v, want no error", tt.payload, err)
			}
			if got.StatusCode != tt.wantStatus {
				t.Errorf("DecodeResponse(%s).StatusCode = %d, want %d", tt.payload, got.StatusCode, tt.wantStatus)
			}
			if string(got.Body) != tt.wantBody {
				t.Errorf("DecodeResponse(%s).Body = %q, want %q", tt.payload, got.Body, tt.wantBody)
			}
			if len(got.Header) != len(tt.wantHeader) {
				t.Errorf("DecodeResponse(%s).Header = %v, want %v", tt.payload, got.Header, tt.wantHeader)
			}
			for name, want := range tt.wantHeader {
				if values := got.Header.Values(name); !slices.Equal(values, want) {
					t.Errorf("DecodeResponse(%s).Header[%s] = %q, want %q", tt.payload, name, values, want)
				}
			}
		})
	}
}

func TestDecodeResponseInvalid(t *testing.T) {
	tests := []struct {
		name    string
		payload string
	}{
		{name: "empty", payload: ``},
		{name: "not JSON", payload: `Task timed out`},
		{name: "truncated", payload: `{"statusCode":200,"body":"`},
		{name: "status zero", payload: `{"statusCode":0}`},
		{name: "status too large", payload: `{"statusCode":600}`},
		{name: "status as string", payload: `{"statusCode":"200"}`},
		{name: "headers wrong type", payload: `{"statusCode":200,"headers":["a"]}`},
		{name: "bad base64", payload: `{"statusCode":200,"body":"***","isBase64Encoded":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gateway.DecodeResponse([]byte(tt.payload))
			if !errors.Is(err, gateway.ErrInvalidResponse) {
				t.Errorf("DecodeResponse(%q) = %v, want %v", tt.payload, err, gateway.ErrInvalidResponse)
			}
		})
	}
}

func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte(`{"statusCode":200,"headers":{"a":"b"},"body":"x"}`))
	f.Add([]byte(`{"statusCode":200,"body":"/wD+","isBase64Encoded":true,"cookies":["a=b"]}`))
	f.Add([]byte(`"text"`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		resp, err := gateway.DecodeResponse(payload)
		if err != nil {
			if !errors.Is(err, gateway.ErrInvalidResponse) {
				t.Fatalf("DecodeResponse(%q) = %v, want an error wrapping ErrInvalidResponse", payload, err)
			}
			return
		}
		if resp.StatusCode < 100 || resp.StatusCode > 599 {
			t.Fatalf("DecodeResponse(%q).StatusCode = %d, want 100 to 599", payload, resp.StatusCode)
		}
	})
}
