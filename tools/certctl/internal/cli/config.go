package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/certstore"
	"github.com/mtls-api/mtls-api/shared/env"
)

// Environment variables certctl reads. The table variables are the ones the functions and the
// AWS SDK read, so one shell environment serves all of them.
const (
	EnvDir      = "CERTCTL_DIR"
	EnvTable    = env.TableName
	EnvRegion   = "AWS_REGION"
	EnvEndpoint = "AWS_ENDPOINT_URL_DYNAMODB"
)

// DefaultDir is the CA directory when neither --dir nor CERTCTL_DIR is set. The repository's
// .gitignore excludes it.
const DefaultDir = ".certs"

// Store is the part of the certificate table certctl uses; *certstore.Store implements it.
type Store interface {
	Get(ctx context.Context, serial string) (certificate.Record, error)
	Put(ctx context.Context, rec certificate.Record) error
	Revoke(ctx context.Context, serial, reason string, at time.Time) (certificate.Record, error)
	Supersede(ctx context.Context, serial string, at time.Time) (certificate.Record, error)
	List(ctx context.Context) ([]certificate.Record, error)
	ListByClient(ctx context.Context, clientID string) ([]certificate.Record, error)
}

// TableConfig locates the certificate table.
type TableConfig struct {
	Table    string
	Region   string
	Endpoint string
}

// addDirFlag registers --dir, defaulting to CERTCTL_DIR or DefaultDir.
func (a *App) addDirFlag(fs *flag.FlagSet) *string {
	def := a.getenv(EnvDir)
	if def == "" {
		def = DefaultDir
	}
	return fs.String("dir", def, "CA `directory` with root.pem, intermediate.pem, their keys and truststore.pem (env "+EnvDir+")")
}

// addTableFlags registers --table, --region and --endpoint, defaulting to the environment.
func (a *App) addTableFlags(fs *flag.FlagSet) *TableConfig {
	cfg := &TableConfig{}
	fs.StringVar(&cfg.Table, "table", a.getenv(EnvTable), "certificate table `name` (env "+EnvTable+")")
	fs.StringVar(&cfg.Region, "region", a.getenv(EnvRegion), "AWS `region` of the table, such as eu-west-1 (env "+EnvRegion+")")
	fs.StringVar(&cfg.Endpoint, "endpoint", a.getenv(EnvEndpoint), "DynamoDB endpoint `URL`; empty for AWS, http://127.0.0.1:PORT for a local table (env "+EnvEndpoint+")")
	return cfg
}

// openStore connects to the table described by cfg. Before the first call, it writes to
// Stderr where the table is and which credentials certctl uses, so that a wrong or empty
// setting shows before the AWS SDK acts on it.
func (a *App) openStore(ctx context.Context, cfg TableConfig) (Store, error) {
	if strings.TrimSpace(cfg.Table) == "" {
		return nil, usageError("missing table name; pass --table or set %s", EnvTable)
	}
	open := a.OpenStore
	if open == nil {
		open = OpenDynamoDB
	}
	store, err := open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if l, ok := store.(locator); ok {
		a.progress("using %s", l.Location())
	}
	return store, nil
}

// locator is implemented by a Store that can describe where its table is.
type locator interface {
	Location() string
}

// dynamoDBStore is the certificate table in DynamoDB or in a local server.
type dynamoDBStore struct {
	*certstore.Store
	location string
}

// Location returns the table name, region, endpoint and source of credentials, such as
// "table certs in eu-west-1 on AWS, credentials from the default chain".
func (s dynamoDBStore) Location() string { return s.location }

// OpenDynamoDB returns a Store for the table in cfg. An endpoint on a loopback address, such
// as the local stack's dynalite, gets static dummy credentials, because local servers check
// none. Any other endpoint, or none, uses the AWS SDK's default credential chain. The Store
// has a Location method that describes the table, its region and its endpoint.
func OpenDynamoDB(ctx context.Context, cfg TableConfig) (Store, error) {
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usageError("invalid endpoint %q; expected a URL such as http://127.0.0.1:8000", cfg.Endpoint)
		}
		if isLoopback(u.Hostname()) {
			return openLocal(cfg), nil
		}
	}

	var opts []func(*awsconfig.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, usageError("missing AWS region; pass --region or set %s", EnvRegion)
	}
	client := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})

	// The SDK may take an endpoint from AWS_ENDPOINT_URL or the shared configuration file, so
	// the description reads the client's own setting.
	where := "on AWS"
	if endpoint := aws.ToString(client.Options().BaseEndpoint); endpoint != "" {
		where = "at " + endpoint
	}
	location := fmt.Sprintf("table %s in %s %s, credentials from the default chain", cfg.Table, awsCfg.Region, where)
	return dynamoDBStore{Store: certstore.New(client, cfg.Table), location: location}, nil
}

// openLocal returns a Store for a table on a loopback endpoint, with dummy credentials.
func openLocal(cfg TableConfig) Store {
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	client := dynamodb.New(dynamodb.Options{
		Region:       region,
		BaseEndpoint: aws.String(cfg.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	location := fmt.Sprintf("table %s in %s at %s, dummy credentials for a local endpoint", cfg.Table, region, cfg.Endpoint)
	return dynamoDBStore{Store: certstore.New(client, cfg.Table), location: location}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// durationValue is a flag value for a positive duration in Go syntax (90m, 2160h) or in
// whole days (90d).
type durationValue struct{ d *time.Duration }

func (a *App) addDurationFlag(fs *flag.FlagSet, name string, def time.Duration, usage string) *time.Duration {
	d := def
	fs.Var(durationValue{&d}, name, usage+" (`duration`: whole days such as 90d, or Go syntax such as 2160h)")
	return &d
}

func (v durationValue) String() string {
	if v.d == nil {
		return ""
	}
	return formatDuration(*v.d)
}

func (v durationValue) Set(s string) error {
	d, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}

// ParseDuration parses a positive duration written as whole days ("90d") or in the syntax of
// time.ParseDuration ("2160h", "36h30m").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 32)
		if err != nil || n > 100*365 {
			return 0, fmt.Errorf("invalid duration %q; use whole days up to 36500d, such as 90d", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("invalid duration %q; use days such as 90d or hours such as 2160h", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("invalid duration %q; it must be positive", s)
	}
	return d, nil
}

// formatDuration writes whole days as "Nd" and anything else in Go syntax.
func formatDuration(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}
