package response_test

import (
	"net/http"
	"testing"

	"github.com/mtls-api/mtls-api/functions/internal/response"
)

func TestJSON(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		value      any
		wantStatus int
		wantBody   string
	}{
		{"object", http.StatusOK, map[string]string{"status": "ok"}, http.StatusOK, `{"status":"ok"}`},
		{"error status", http.StatusNotFound, struct {
			Error string `json:"error"`
		}{"invalid_client"}, http.StatusNotFound, `{"error":"invalid_client"}`},
		{"unencodable value", http.StatusOK, map[string]any{"c": make(chan int)}, http.StatusInternalServerError, `{"message":"Internal Server Error"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := response.JSON(tt.status, tt.value)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("JSON() status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if resp.Body != tt.wantBody {
				t.Errorf("JSON() body = %s, want %s", resp.Body, tt.wantBody)
			}
			if got := resp.Headers["Content-Type"]; got != "application/json" {
				t.Errorf("JSON() Content-Type = %q, want application/json", got)
			}
		})
	}
}
