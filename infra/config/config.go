// Package config reads and validates the stack configuration of the Pulumi program: the keys
// of Pulumi.<stack>.yaml, read once into a typed Config.
package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Project is the Pulumi project name, which is also the namespace of the project's own keys.
const Project = "mtls-api"

// Keys of the stack configuration, as written in Pulumi.<stack>.yaml.
const (
	KeyRegion         = "aws:region"
	KeyDomainName     = Project + ":domainName"
	KeyHostedZoneID   = Project + ":hostedZoneId"
	KeyCertificateARN = Project + ":certificateArn"
	KeyTruststorePath = Project + ":truststorePath"
	KeyLogRetention   = Project + ":logRetentionDays"
	KeyAuthorizerTTL  = Project + ":authorizerResultTtlSeconds"
	KeyProtect        = Project + ":protect"
)

// MaxAuthorizerTTLSeconds is the longest time API Gateway caches a Lambda authorizer result.
const MaxAuthorizerTTLSeconds = 3600

// Config is the validated configuration of one stack.
type Config struct {
	// Region is the AWS region every resource is created in, such as "eu-west-1".
	Region string
	// DomainName is the custom domain of the API, such as "api.dev.example.com".
	DomainName string
	// HostedZoneID is the Route 53 hosted zone that serves DomainName. When set, the program
	// requests an ACM certificate, validates it through DNS and points DomainName at the API.
	// Exactly one of HostedZoneID and CertificateARN is set.
	HostedZoneID string
	// CertificateARN is an existing ACM certificate for DomainName in Region, used when the
	// DNS zone is not in Route 53. The DNS record is then the operator's to create.
	CertificateARN string
	// TruststorePath is the PEM bundle of CA certificates that client certificates must chain
	// to, relative to the project root (the folder of Pulumi.yaml) unless absolute.
	TruststorePath string
	// LogRetentionDays is how long every log group keeps its events.
	LogRetentionDays int
	// AuthorizerTTLSeconds is how long API Gateway caches an authorizer result; 0 turns
	// caching off. A positive value adds the client certificate serial number to the cache key.
	AuthorizerTTLSeconds int
	// Protect turns on deletion protection of the stateful resources (the certificate table,
	// the user pool, the truststore bucket) and keeps them when the stack is destroyed.
	Protect bool
}

// Getter returns the raw value of a configuration key and whether it is set. The Pulumi
// program passes (*pulumi.Context).GetConfig.
type Getter func(key string) (string, bool)

// retentionDays are the retention periods CloudWatch Logs accepts, in days.
var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var (
	regionPattern       = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	domainPattern       = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	hostedZonePattern   = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	certificatePattern  = regexp.MustCompile(`^arn:aws[a-z-]*:acm:([a-z0-9-]+):[0-9]{12}:certificate/[0-9a-f-]{36}$`)
	reservedDomainWords = []string{"aws", "amazon", "cognito"}
)

// Load reads every key through get and validates it. The error lists every missing or invalid
// key, each with an example value.
func Load(get Getter) (Config, error) {
	var c Config
	var errs []error
	str := func(key string) string {
		v, _ := get(key)
		return strings.TrimSpace(v)
	}

	c.Region = str(KeyRegion)
	switch {
	case c.Region == "":
		errs = append(errs, missing(KeyRegion, "eu-west-1"))
	case !regionPattern.MatchString(c.Region):
		errs = append(errs, invalid(KeyRegion, c.Region, "an AWS region name", "eu-west-1"))
	}

	c.DomainName = strings.ToLower(str(KeyDomainName))
	errs = append(errs, checkDomain(c.DomainName)...)

	c.HostedZoneID, c.CertificateARN = str(KeyHostedZoneID), str(KeyCertificateARN)
	errs = append(errs, checkCertificateSource(c.HostedZoneID, c.CertificateARN, c.Region)...)

	c.TruststorePath = str(KeyTruststorePath)
	if c.TruststorePath == "" {
		errs = append(errs, missing(KeyTruststorePath, "pki/dev/truststore.pem"))
	}

	var err error
	if c.LogRetentionDays, err = retention(str(KeyLogRetention)); err != nil {
		errs = append(errs, err)
	}
	if c.AuthorizerTTLSeconds, err = authorizerTTL(str(KeyAuthorizerTTL)); err != nil {
		errs = append(errs, err)
	}
	if c.Protect, err = protect(str(KeyProtect)); err != nil {
		errs = append(errs, err)
	}

	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("invalid stack configuration (set keys with `pulumi config set KEY VALUE`):\n%w", err)
	}
	return c, nil
}

// CognitoDomainPrefix returns the prefix of the user pool's hosted domain
// (https://<prefix>.auth.<region>.amazoncognito.com), derived from the API's domain name so
// that it is unique to the owner of that domain.
func (c Config) CognitoDomainPrefix() string {
	prefix := strings.ReplaceAll(c.DomainName, ".", "-")
	if len(prefix) > 63 {
		prefix = strings.TrimRight(prefix[:63], "-")
	}
	return prefix
}

func checkDomain(domain string) []error {
	const example = "api.dev.example.com"
	switch {
	case domain == "":
		return []error{missing(KeyDomainName, example)}
	case len(domain) > 253 || !domainPattern.MatchString(domain):
		return []error{invalid(KeyDomainName, domain, "a fully qualified DNS name", example)}
	}
	// The Cognito domain prefix is derived from the domain name, and Cognito rejects prefixes
	// that contain these words.
	for _, word := range reservedDomainWords {
		if strings.Contains(domain, word) {
			return []error{invalid(KeyDomainName, domain, fmt.Sprintf("a name without %q, which Cognito reserves in domain prefixes", word), example)}
		}
	}
	return nil
}

func checkCertificateSource(zone, certificate, region string) []error {
	const zoneExample, certificateExample = "Z0123456789ABCDEFGHIJ", "arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
	switch {
	case zone == "" && certificate == "":
		return []error{fmt.Errorf("%s or %s: one must be set, such as %s (a Route 53 hosted zone) or %s (an existing ACM certificate)",
			KeyHostedZoneID, KeyCertificateARN, zoneExample, certificateExample)}
	case zone != "" && certificate != "":
		return []error{fmt.Errorf("%s and %s: set only one, %s to have the stack request and validate a certificate, %s to use an existing one",
			KeyHostedZoneID, KeyCertificateARN, KeyHostedZoneID, KeyCertificateARN)}
	case zone != "" && !hostedZonePattern.MatchString(zone):
		return []error{invalid(KeyHostedZoneID, zone, "a Route 53 hosted zone id", zoneExample)}
	case certificate != "":
		m := certificatePattern.FindStringSubmatch(certificate)
		if m == nil {
			return []error{invalid(KeyCertificateARN, certificate, "an ACM certificate ARN", certificateExample)}
		}
		if region != "" && m[1] != region {
			return []error{invalid(KeyCertificateARN, certificate, "a certificate in the stack's region "+region+", as regional custom domains require", certificateExample)}
		}
	}
	return nil
}

func retention(raw string) (int, error) {
	const example = "30"
	if raw == "" {
		return 0, missing(KeyLogRetention, example)
	}
	days, err := strconv.Atoi(raw)
	if err != nil || !slices.Contains(retentionDays, days) {
		return 0, invalid(KeyLogRetention, raw, "a CloudWatch Logs retention period in days (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)", example)
	}
	return days, nil
}

func authorizerTTL(raw string) (int, error) {
	const example = "0"
	if raw == "" {
		return 0, missing(KeyAuthorizerTTL, example)
	}
	ttl, err := strconv.Atoi(raw)
	if err != nil || ttl < 0 || ttl > MaxAuthorizerTTLSeconds {
		return 0, invalid(KeyAuthorizerTTL, raw, "whole seconds from 0 (no caching) to 3600", example)
	}
	return ttl, nil
}

func protect(raw string) (bool, error) {
	const example = "true"
	if raw == "" {
		return false, missing(KeyProtect, example)
	}
	on, err := strconv.ParseBool(raw)
	if err != nil {
		return false, invalid(KeyProtect, raw, "true or false", example)
	}
	return on, nil
}

func missing(key, example string) error {
	return fmt.Errorf("%s is missing: set it, such as `pulumi config set %s %s`", key, key, example)
}

func invalid(key, value, want, example string) error {
	return fmt.Errorf("%s = %q is invalid: want %s, such as %s", key, value, want, example)
}
