package component

import (
	"fmt"

	"github.com/mtls-api/mtls-api/shared/oauth"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cognito"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// IdentityArgs configures an Identity.
type IdentityArgs struct {
	// Region is the AWS region of the user pool, part of its issuer and token endpoint URLs.
	Region string
	// DomainPrefix names the user pool's hosted domain,
	// https://<DomainPrefix>.auth.<Region>.amazoncognito.com. It must be unique in the region.
	DomainPrefix string
	// Protect turns on deletion protection of the user pool and keeps it when the stack is
	// destroyed.
	Protect bool
	// Tags are added to the user pool and the secret.
	Tags pulumi.StringMap
}

// Identity is the Cognito user pool that issues access tokens to machine clients. Only
// administrators create users in the pool. Its hosted domain serves the token endpoint, its
// resource server defines the project's scope, and its one app client is limited to the
// client credentials grant. The app client's secret is stored in Secrets Manager.
type Identity struct {
	pulumi.ResourceState

	UserPool *cognito.UserPool
	Client   *cognito.UserPoolClient
	Secret   *secretsmanager.Secret

	UserPoolID pulumi.StringOutput
	ClientID   pulumi.StringOutput
	// Issuer is the iss claim of the pool's tokens.
	Issuer pulumi.StringOutput
	// JWKSURL is the pool's key set.
	JWKSURL pulumi.StringOutput
	// TokenURL is the OAuth 2.0 token endpoint of the hosted domain.
	TokenURL pulumi.StringOutput
	// SecretArn is the ARN of the secret holding the app client's secret.
	SecretArn pulumi.StringOutput
}

// NewIdentity creates the user pool, its domain, resource server and app client, and the
// secret holding the app client's secret.
func NewIdentity(ctx *pulumi.Context, name string, args *IdentityArgs, opts ...pulumi.ResourceOption) (*Identity, error) {
	if args == nil {
		return nil, fmt.Errorf("identity %s: %w", name, ErrNilArgs)
	}
	if args.Region == "" || args.DomainPrefix == "" {
		return nil, fmt.Errorf("identity %s: region and domain prefix are required", name)
	}
	c := &Identity{}
	if err := register(ctx, "Identity", name, c, opts); err != nil {
		return nil, err
	}

	if err := c.userPool(ctx, name, args); err != nil {
		return nil, err
	}
	if err := c.appClient(ctx, name); err != nil {
		return nil, err
	}
	if err := c.clientSecret(ctx, name, args); err != nil {
		return nil, err
	}

	c.UserPoolID = c.UserPool.ID().ToStringOutput()
	c.ClientID = c.Client.ID().ToStringOutput()
	c.Issuer = pulumi.Sprintf("https://cognito-idp.%s.amazonaws.com/%s", args.Region, c.UserPoolID)
	c.JWKSURL = pulumi.Sprintf("%s/.well-known/jwks.json", c.Issuer)
	return c, finish(ctx, "Identity", name, c, pulumi.Map{
		"userPoolId": c.UserPoolID,
		"clientId":   c.ClientID,
		"issuer":     c.Issuer,
		"tokenUrl":   c.TokenURL,
		"secretArn":  c.SecretArn,
	})
}

func (c *Identity) userPool(ctx *pulumi.Context, name string, args *IdentityArgs) error {
	deletionProtection := "INACTIVE"
	if args.Protect {
		deletionProtection = "ACTIVE"
	}
	pool, err := cognito.NewUserPool(ctx, name+"-user-pool", &cognito.UserPoolArgs{
		// Machine clients are app clients, not users, so self sign-up stays off.
		AdminCreateUserConfig: &cognito.UserPoolAdminCreateUserConfigArgs{AllowAdminCreateUserOnly: pulumi.Bool(true)},
		DeletionProtection:    pulumi.String(deletionProtection),
		Tags:                  args.Tags,
	}, stateful(args.Protect, c)...)
	if err != nil {
		return fmt.Errorf("identity %s: user pool: %w", name, err)
	}
	c.UserPool = pool

	domain, err := cognito.NewUserPoolDomain(ctx, name+"-domain", &cognito.UserPoolDomainArgs{
		Domain:     pulumi.String(args.DomainPrefix),
		UserPoolId: pool.ID(),
	}, pulumi.Parent(c))
	if err != nil {
		return fmt.Errorf("identity %s: domain: %w", name, err)
	}
	c.TokenURL = pulumi.Sprintf("https://%s.auth.%s.amazoncognito.com/oauth2/token", domain.Domain, args.Region)
	return nil
}

func (c *Identity) appClient(ctx *pulumi.Context, name string) error {
	server, err := cognito.NewResourceServer(ctx, name+"-resource-server", &cognito.ResourceServerArgs{
		UserPoolId: c.UserPool.ID(),
		Identifier: pulumi.String(oauth.ResourceServerIdentifier),
		Name:       pulumi.String(oauth.ResourceServerIdentifier),
		Scopes: cognito.ResourceServerScopeArray{cognito.ResourceServerScopeArgs{
			ScopeName:        pulumi.String(oauth.ScopeName),
			ScopeDescription: pulumi.String("Call the API's protected routes"),
		}},
	}, pulumi.Parent(c))
	if err != nil {
		return fmt.Errorf("identity %s: resource server: %w", name, err)
	}

	client, err := cognito.NewUserPoolClient(ctx, name+"-client", &cognito.UserPoolClientArgs{
		UserPoolId:                      c.UserPool.ID(),
		GenerateSecret:                  pulumi.Bool(true),
		AllowedOauthFlowsUserPoolClient: pulumi.Bool(true),
		AllowedOauthFlows:               pulumi.StringArray{pulumi.String(oauth.GrantClientCredentials)},
		AllowedOauthScopes:              pulumi.StringArray{pulumi.String(oauth.Scope)},
		SupportedIdentityProviders:      pulumi.StringArray{pulumi.String("COGNITO")},
		// Cognito enables refresh, SRP and custom authentication flows when the list is empty.
		// Listing refresh alone keeps the sign-in flows off, and the client credentials grant
		// issues no refresh tokens.
		ExplicitAuthFlows:          pulumi.StringArray{pulumi.String("ALLOW_REFRESH_TOKEN_AUTH")},
		PreventUserExistenceErrors: pulumi.String("ENABLED"),
		EnableTokenRevocation:      pulumi.Bool(true),
		AccessTokenValidity:        pulumi.Int(60),
		TokenValidityUnits:         &cognito.UserPoolClientTokenValidityUnitsArgs{AccessToken: pulumi.String("minutes")},
	}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{server}))
	if err != nil {
		return fmt.Errorf("identity %s: app client: %w", name, err)
	}
	c.Client = client
	return nil
}

func (c *Identity) clientSecret(ctx *pulumi.Context, name string, args *IdentityArgs) error {
	// Without protection the secret is deleted at once, so that a new stack of the same name
	// can be created right after a tear-down.
	recoveryDays := 0
	if args.Protect {
		recoveryDays = 30
	}
	secret, err := secretsmanager.NewSecret(ctx, name+"-client-secret", &secretsmanager.SecretArgs{
		Description:          pulumi.String("Secret of the Cognito app client that the token function uses"),
		RecoveryWindowInDays: pulumi.Int(recoveryDays),
		Tags:                 args.Tags,
	}, pulumi.Parent(c))
	if err != nil {
		return fmt.Errorf("identity %s: secret: %w", name, err)
	}
	_, err = secretsmanager.NewSecretVersion(ctx, name+"-client-secret-version", &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: pulumi.ToSecret(c.Client.ClientSecret).(pulumi.StringOutput),
	}, pulumi.Parent(c))
	if err != nil {
		return fmt.Errorf("identity %s: secret version: %w", name, err)
	}
	c.Secret = secret
	c.SecretArn = secret.Arn
	return nil
}
