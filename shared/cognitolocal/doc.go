// Package cognitolocal is a local stand-in for the two Amazon Cognito endpoints this project
// uses: the OAuth 2.0 token endpoint of a user pool domain (client credentials grant only) and
// the user pool's JSON Web Key Set.
//
// It issues RS256 access tokens with exactly the claims Cognito puts into a client credentials
// access token (oauth.AccessTokenClaims), so the token function and the authorizer run against
// it unchanged. One server serves both endpoints:
//
//	POST <base>/oauth2/token
//	GET  <base>/<pool id>/.well-known/jwks.json
//
// and the issuer is <base>/<pool id>, as in Cognito, where the JWKS lies under the issuer.
//
// The local stack runs it with Listen; tests use StartTest, or New and Handler behind a server
// of their own.
package cognitolocal
