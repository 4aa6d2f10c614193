package apigw_test

import (
	"testing"

	"github.com/mtls-api/mtls-api/shared/apigw"
)

func TestHeader(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    string
		wantOK  bool
	}{
		{name: "lowercase as API Gateway sends", headers: map[string]string{"content-type": "text/plain"}, want: "text/plain", wantOK: true},
		{name: "canonical case", headers: map[string]string{"Content-Type": "text/plain"}, want: "text/plain", wantOK: true},
		{name: "present but empty", headers: map[string]string{"content-type": ""}, want: "", wantOK: true},
		{name: "absent", headers: map[string]string{"accept": "*/*"}, want: "", wantOK: false},
		{name: "nil map", headers: nil, want: "", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := apigw.Header(tt.headers, "Content-Type")
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Header(%v, Content-Type) = %q, %v, want %q, %v", tt.headers, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
