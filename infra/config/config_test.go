package config_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/mtls-api/mtls-api/infra/config"
)

// valid returns a complete configuration that uses a hosted zone.
func valid() map[string]string {
	return map[string]string{
		config.KeyRegion:         "eu-west-1",
		config.KeyDomainName:     "api.dev.example.com",
		config.KeyHostedZoneID:   "Z0123456789ABCDEFGHIJ",
		config.KeyTruststorePath: "pki/dev/truststore.pem",
		config.KeyLogRetention:   "14",
		config.KeyAuthorizerTTL:  "0",
		config.KeyProtect:        "false",
	}
}

func getter(m map[string]string) config.Getter {
	return func(key string) (string, bool) {
		v, ok := m[key]
		return v, ok
	}
}

func TestLoadValid(t *testing.T) {
	withCertificate := valid()
	delete(withCertificate, config.KeyHostedZoneID)
	withCertificate[config.KeyCertificateARN] = "arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
	withCertificate[config.KeyProtect] = "true"
	withCertificate[config.KeyAuthorizerTTL] = "300"
	withCertificate[config.KeyDomainName] = " API.Example.COM "

	tests := []struct {
		name string
		in   map[string]string
		want config.Config
	}{
		{
			name: "hosted zone",
			in:   valid(),
			want: config.Config{
				Region:           "eu-west-1",
				DomainName:       "api.dev.example.com",
				HostedZoneID:     "Z0123456789ABCDEFGHIJ",
				TruststorePath:   "pki/dev/truststore.pem",
				LogRetentionDays: 14,
			},
		},
		{
			name: "existing certificate",
			in:   withCertificate,
			want: config.Config{
				Region:               "eu-west-1",
				DomainName:           "api.example.com",
				CertificateARN:       "arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
				TruststorePath:       "pki/dev/truststore.pem",
				LogRetentionDays:     14,
				AuthorizerTTLSeconds: 300,
				Protect:              true,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := config.Load(getter(tt.in))
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			if got != tt.want {
				t.Errorf("Load() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name   string
		change map[string]string // an empty value deletes the key
		// want are the parts the error must contain: the key and an example value.
		want []string
	}{
		{name: "region missing", change: map[string]string{config.KeyRegion: ""}, want: []string{"aws:region is missing", "eu-west-1"}},
		{name: "region invalid", change: map[string]string{config.KeyRegion: "Ireland"}, want: []string{`aws:region = "Ireland" is invalid`, "eu-west-1"}},
		{name: "domain missing", change: map[string]string{config.KeyDomainName: ""}, want: []string{"mtls-api:domainName is missing", "api.dev.example.com"}},
		{name: "domain not qualified", change: map[string]string{config.KeyDomainName: "localhost"}, want: []string{`mtls-api:domainName = "localhost" is invalid`, "api.dev.example.com"}},
		{name: "domain with scheme", change: map[string]string{config.KeyDomainName: "https://api.example.com"}, want: []string{"mtls-api:domainName", "fully qualified DNS name"}},
		{name: "domain with reserved word", change: map[string]string{config.KeyDomainName: "api.aws-team.example.com"}, want: []string{"mtls-api:domainName", `"aws"`}},
		{name: "zone and certificate missing", change: map[string]string{config.KeyHostedZoneID: ""}, want: []string{"mtls-api:hostedZoneId or mtls-api:certificateArn", "Z0123456789ABCDEFGHIJ", "arn:aws:acm:"}},
		{name: "zone and certificate both set", change: map[string]string{config.KeyCertificateARN: "arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"}, want: []string{"set only one"}},
		{name: "zone invalid", change: map[string]string{config.KeyHostedZoneID: "example.com"}, want: []string{`mtls-api:hostedZoneId = "example.com" is invalid`, "Z0123456789ABCDEFGHIJ"}},
		{name: "certificate invalid", change: map[string]string{config.KeyHostedZoneID: "", config.KeyCertificateARN: "arn:aws:iam::123456789012:role/x"}, want: []string{"mtls-api:certificateArn", "ACM certificate ARN"}},
		{name: "certificate in other region", change: map[string]string{config.KeyHostedZoneID: "", config.KeyCertificateARN: "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"}, want: []string{"mtls-api:certificateArn", "region eu-west-1"}},
		{name: "truststore missing", change: map[string]string{config.KeyTruststorePath: ""}, want: []string{"mtls-api:truststorePath is missing", "pki/dev/truststore.pem"}},
		{name: "retention missing", change: map[string]string{config.KeyLogRetention: ""}, want: []string{"mtls-api:logRetentionDays is missing", "such as `pulumi config set mtls-api:logRetentionDays 30`"}},
		{name: "retention not a period", change: map[string]string{config.KeyLogRetention: "10"}, want: []string{`mtls-api:logRetentionDays = "10" is invalid`, "such as 30"}},
		{name: "retention not a number", change: map[string]string{config.KeyLogRetention: "two weeks"}, want: []string{"mtls-api:logRetentionDays", "such as 30"}},
		{name: "ttl missing", change: map[string]string{config.KeyAuthorizerTTL: ""}, want: []string{"mtls-api:authorizerResultTtlSeconds is missing", "0"}},
		{name: "ttl negative", change: map[string]string{config.KeyAuthorizerTTL: "-1"}, want: []string{`mtls-api:authorizerResultTtlSeconds = "-1" is invalid`, "3600"}},
		{name: "ttl too long", change: map[string]string{config.KeyAuthorizerTTL: "3601"}, want: []string{"mtls-api:authorizerResultTtlSeconds", "3600"}},
		{name: "protect missing", change: map[string]string{config.KeyProtect: ""}, want: []string{"mtls-api:protect is missing", "true"}},
		{name: "protect not a bool", change: map[string]string{config.KeyProtect: "yes please"}, want: []string{`mtls-api:protect = "yes please" is invalid`, "true or false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := valid()
			for k, v := range tt.change {
				if v == "" {
					delete(in, k)
				} else {
					in[k] = v
				}
			}

			got, err := config.Load(getter(in))
			if err == nil {
				t.Fatalf("Load() = %+v, nil error, want an error", got)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Load() error = %q, want it to contain %q", err, want)
				}
			}
			if got != (config.Config{}) {
				t.Errorf("Load() with an error = %+v, want the zero Config", got)
			}
		})
	}
}

func TestLoadReportsEveryKey(t *testing.T) {
	_, err := config.Load(getter(nil))
	if err == nil {
		t.Fatal("Load(empty) = nil error, want an error")
	}
	keys := []string{config.KeyRegion, config.KeyDomainName, config.KeyHostedZoneID, config.KeyTruststorePath, config.KeyLogRetention, config.KeyAuthorizerTTL, config.KeyProtect}
	for _, key := range keys {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("Load(empty) error = %q, want it to name %s", err, key)
		}
	}
}

func TestCognitoDomainPrefix(t *testing.T) {
	long := strings.Repeat("a", 60) + ".example.com"
	tests := []struct {
		name, domain, want string
	}{
		{name: "dots become hyphens", domain: "api.dev.example.com", want: "api-dev-example-com"},
		{name: "cut to 63 characters", domain: long, want: strings.Repeat("a", 60) + "-ex"},
		{name: "no trailing hyphen after cut", domain: strings.Repeat("a", 62) + ".example.com", want: strings.Repeat("a", 62)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Config{DomainName: tt.domain}
			if got := c.CognitoDomainPrefix(); got != tt.want {
				t.Errorf("CognitoDomainPrefix() for %q = %q, want %q", tt.domain, got, tt.want)
			}
		})
	}
}

func TestLoadIgnoresUnrelatedKeys(t *testing.T) {
	in := valid()
	extra := maps.Clone(in)
	extra["aws:profile"] = "deploy"
	extra["other:key"] = "value"

	want, err := config.Load(getter(in))
	if err != nil {
		t.Fatal(err)
	}
	got, err := config.Load(getter(extra))
	if err != nil {
		t.Fatalf("Load() with unrelated keys error = %v", err)
	}
	if got != want {
		t.Errorf("Load() with unrelated keys = %+v, want %+v", got, want)
	}
}
