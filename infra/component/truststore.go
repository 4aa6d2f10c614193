package component

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TruststoreKey is the object key of the truststore in its bucket.
const TruststoreKey = "truststore.pem"

// TruststoreArgs configures a Truststore.
type TruststoreArgs struct {
	// File is the path of the PEM bundle to upload. The caller checks its content.
	File string
	// Protect keeps the bucket and its object versions when the stack is destroyed.
	Protect bool
	// Tags are added to the bucket.
	Tags pulumi.StringMap
}

// Truststore is the CA bundle that API Gateway checks client certificates against: an
// object in a versioned, private, encrypted bucket that only accepts TLS requests.
type Truststore struct {
	pulumi.ResourceState

	Bucket *s3.BucketV2
	Object *s3.BucketObjectv2
	// URI is the object's s3://bucket/key URI.
	URI pulumi.StringOutput
	// Version is the object's version id. Pinning the custom domain to it makes API Gateway
	// load each new truststore.
	Version pulumi.StringOutput
}

// NewTruststore creates the bucket and uploads args.File into it.
func NewTruststore(ctx *pulumi.Context, name string, args *TruststoreArgs, opts ...pulumi.ResourceOption) (*Truststore, error) {
	if args == nil {
		return nil, fmt.Errorf("truststore %s: %w", name, ErrNilArgs)
	}
	if args.File == "" {
		return nil, fmt.Errorf("truststore %s: file is required", name)
	}
	c := &Truststore{}
	if err := register(ctx, "Truststore", name, c, opts); err != nil {
		return nil, err
	}

	// An unprotected bucket is emptied on deletion, old truststore versions included, so that
	// the stack can be destroyed.
	bucket, err := s3.NewBucketV2(ctx, name+"-bucket", &s3.BucketV2Args{
		ForceDestroy: pulumi.Bool(!args.Protect),
		Tags:         args.Tags,
	}, stateful(args.Protect, c)...)
	if err != nil {
		return nil, fmt.Errorf("truststore %s: bucket: %w", name, err)
	}
	c.Bucket = bucket
	settings, err := c.secureBucket(ctx, name)
	if err != nil {
		return nil, err
	}

	object, err := s3.NewBucketObjectv2(ctx, name+"-object", &s3.BucketObjectv2Args{
		Bucket:      bucket.ID(),
		Key:         pulumi.String(TruststoreKey),
		Source:      pulumi.NewFileAsset(args.File),
		ContentType: pulumi.String("application/x-pem-file"),
	}, append(stateful(args.Protect, c), pulumi.DependsOn(settings))...)
	if err != nil {
		return nil, fmt.Errorf("truststore %s: object: %w", name, err)
	}
	c.Object = object
	c.URI = pulumi.Sprintf("s3://%s/%s", bucket.Bucket, object.Key)
	c.Version = object.VersionId
	return c, finish(ctx, "Truststore", name, c, pulumi.Map{
		"bucket":  bucket.Bucket,
		"uri":     c.URI,
		"version": c.Version,
	})
}

// secureBucket turns on versioning and default encryption, blocks public access and denies
// requests without TLS. It returns the resources the object must wait for: an object
// uploaded before versioning is on has no version id to pin.
func (c *Truststore) secureBucket(ctx *pulumi.Context, name string) ([]pulumi.Resource, error) {
	versioning, err := s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
		Bucket:                  c.Bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("truststore %s: versioning: %w", name, err)
	}

	// SSE-S3 rather than a KMS key: API Gateway reads the truststore with the deployer's
	// credentials and needs no key policy this way.
	encryption, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: c.Bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
		}},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("truststore %s: encryption: %w", name, err)
	}

	ownership, err := s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: c.Bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("truststore %s: ownership controls: %w", name, err)
	}

	block, err := s3.NewBucketPublicAccessBlock(ctx, name+"-public-access-block", &s3.BucketPublicAccessBlockArgs{
		Bucket:                c.Bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("truststore %s: public access block: %w", name, err)
	}

	policy := marshalPolicy(func(v []string) PolicyDocument {
		return PolicyDocument{Statement: []Statement{{
			Sid:       "DenyRequestsWithoutTLS",
			Effect:    "Deny",
			Principal: map[string]string{"AWS": "*"},
			Action:    []string{"s3:*"},
			Resource:  []string{v[0], v[0] + "/*"},
			Condition: map[string]map[string]string{"Bool": {"aws:SecureTransport": "false"}},
		}}}
	}, c.Bucket.Arn)
	// The policy waits for the public access block, as S3 rejects policies while the two are
	// being changed at the same time.
	bucketPolicy, err := s3.NewBucketPolicy(ctx, name+"-policy", &s3.BucketPolicyArgs{
		Bucket: c.Bucket.ID(),
		Policy: policy,
	}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{block}))
	if err != nil {
		return nil, fmt.Errorf("truststore %s: bucket policy: %w", name, err)
	}
	return []pulumi.Resource{versioning, encryption, ownership, block, bucketPolicy}, nil
}
