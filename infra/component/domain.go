package component

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigatewayv2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// SecurityPolicy is the TLS policy of the custom domain. API Gateway requires TLS 1.2 for
// mutual TLS.
const SecurityPolicy = "TLS_1_2"

// DomainArgs configures a Domain.
type DomainArgs struct {
	// Name is the domain name, such as "api.dev.example.com".
	Name string
	// HostedZoneID is the Route 53 zone of Name. When set, the domain gets a new ACM
	// certificate validated through DNS and an alias record. Exactly one of HostedZoneID and
	// CertificateARN is set.
	HostedZoneID string
	// CertificateARN is an existing ACM certificate for Name in the stack's region.
	//
	// NOTE: it must be one that ACM issued. With an imported or private CA certificate, mutual
	// TLS also needs an ownership verification certificate, which the domain does not set.
	CertificateARN string
	// TruststoreURI is the s3://bucket/key URI of the truststore.
	TruststoreURI pulumi.StringInput
	// TruststoreVersion is the S3 version id of the truststore object.
	TruststoreVersion pulumi.StringInput
	// Tags are added to the domain and the certificate.
	Tags pulumi.StringMap
}

// Domain is the regional custom domain of the API, with mutual TLS.
type Domain struct {
	pulumi.ResourceState

	Name *apigatewayv2.DomainName
	// CertificateArn is the server certificate the domain presents.
	CertificateArn pulumi.StringOutput
}

// NewDomain creates the domain and, with a hosted zone, its certificate and DNS records.
func NewDomain(ctx *pulumi.Context, name string, args *DomainArgs, opts ...pulumi.ResourceOption) (*Domain, error) {
	if args == nil {
		return nil, fmt.Errorf("domain %s: %w", name, ErrNilArgs)
	}
	if (args.HostedZoneID == "") == (args.CertificateARN == "") {
		return nil, fmt.Errorf("domain %s: set exactly one of the hosted zone id and the certificate ARN", name)
	}
	if args.TruststoreURI == nil || args.TruststoreVersion == nil {
		return nil, fmt.Errorf("domain %s: truststore URI and version are required", name)
	}
	c := &Domain{}
	if err := register(ctx, "Domain", name, c, opts); err != nil {
		return nil, err
	}

	c.CertificateArn = pulumi.String(args.CertificateARN).ToStringOutput()
	if args.HostedZoneID != "" {
		arn, err := c.certificate(ctx, name, args)
		if err != nil {
			return nil, err
		}
		c.CertificateArn = arn
	}

	domain, err := apigatewayv2.NewDomainName(ctx, name+"-name", &apigatewayv2.DomainNameArgs{
		DomainName: pulumi.String(args.Name),
		DomainNameConfiguration: &apigatewayv2.DomainNameDomainNameConfigurationArgs{
			CertificateArn: c.CertificateArn,
			EndpointType:   pulumi.String("REGIONAL"),
			SecurityPolicy: pulumi.String(SecurityPolicy),
		},
		MutualTlsAuthentication: &apigatewayv2.DomainNameMutualTlsAuthenticationArgs{
			TruststoreUri:     args.TruststoreURI,
			TruststoreVersion: args.TruststoreVersion,
		},
		Tags: args.Tags,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("domain %s: domain name: %w", name, err)
	}
	c.Name = domain

	if args.HostedZoneID != "" {
		config := domain.DomainNameConfiguration
		if _, err := route53.NewRecord(ctx, name+"-alias", &route53.RecordArgs{
			ZoneId: pulumi.String(args.HostedZoneID),
			Name:   domain.DomainName,
			Type:   pulumi.String("A"),
			Aliases: route53.RecordAliasArray{route53.RecordAliasArgs{
				Name:                 config.TargetDomainName().Elem(),
				ZoneId:               config.HostedZoneId().Elem(),
				EvaluateTargetHealth: pulumi.Bool(false),
			}},
		}, pulumi.Parent(c)); err != nil {
			return nil, fmt.Errorf("domain %s: alias record: %w", name, err)
		}
	}
	return c, finish(ctx, "Domain", name, c, pulumi.Map{
		"domainName":     domain.DomainName,
		"certificateArn": c.CertificateArn,
	})
}

// certificate requests an ACM certificate for the domain, publishes its DNS validation
// record and returns the ARN once ACM has issued it.
func (c *Domain) certificate(ctx *pulumi.Context, name string, args *DomainArgs) (pulumi.StringOutput, error) {
	cert, err := acm.NewCertificate(ctx, name+"-certificate", &acm.CertificateArgs{
		DomainName:       pulumi.String(args.Name),
		ValidationMethod: pulumi.String("DNS"),
		Tags:             args.Tags,
	}, pulumi.Parent(c))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("domain %s: certificate: %w", name, err)
	}

	option := cert.DomainValidationOptions.Index(pulumi.Int(0))
	record, err := route53.NewRecord(ctx, name+"-validation", &route53.RecordArgs{
		ZoneId:         pulumi.String(args.HostedZoneID),
		Name:           option.ResourceRecordName().Elem(),
		Type:           option.ResourceRecordType().Elem(),
		Records:        pulumi.StringArray{option.ResourceRecordValue().Elem()},
		Ttl:            pulumi.Int(300),
		AllowOverwrite: pulumi.Bool(true),
	}, pulumi.Parent(c))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("domain %s: validation record: %w", name, err)
	}

	validation, err := acm.NewCertificateValidation(ctx, name+"-certificate-validation", &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: pulumi.StringArray{record.Fqdn},
	}, pulumi.Parent(c))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("domain %s: certificate validation: %w", name, err)
	}
	return validation.CertificateArn, nil
}
