package cognitolocal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"strings"

	"github.com/mtls-api/mtls-api/shared/cognitolocal"
	"github.com/mtls-api/mtls-api/shared/oauth"
)

// A client sends its id and secret form-encoded in HTTP Basic authorization, as RFC 6749
// section 2.3.1 requires and Cognito expects.
func ExampleListen() {
	s, err := cognitolocal.Listen("127.0.0.1:0", cognitolocal.Options{
		Clients: map[string]cognitolocal.Client{
			"demo-app-client": {Secret: "s3cr3t", Scopes: []string{oauth.Scope}},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	form := url.Values{"grant_type": {oauth.GrantClientCredentials}, "scope": {oauth.Scope}}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.TokenURL(), strings.NewReader(form.Encode()))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape("demo-app-client"), url.QueryEscape("s3cr3t"))

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()

	var token oauth.TokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&token); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, token.TokenType, token.ExpiresIn)
	// Output: 200 Bearer 3600
}
