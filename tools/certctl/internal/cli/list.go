package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

func runList(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("list", "[--client-id ID] [--status STATUS] [--output table|json] [flags]",
		"Lists registered certificates, sorted by client id and issue time. With --client-id it\n"+
			"reads the table's client index; without, it scans the whole table.")
	clientID := fs.String("client-id", "", "list only this client's certificates")
	status := fs.String("status", "", "list only certificates with this `status`: active, revoked or superseded")
	output := fs.String("output", "table", "output `format`: table or json")
	table := a.addTableFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *output != "table" && *output != "json" {
		return usageError("invalid --output %q; use table or json", *output)
	}
	if *status != "" && !certificate.Status(*status).Valid() {
		return usageError("invalid --status %q; use active, revoked or superseded", *status)
	}
	if *clientID != "" {
		if err := ca.ValidateClientID(*clientID); err != nil {
			return usageError("invalid --client-id: %v", err)
		}
	}

	store, err := a.openStore(ctx, *table)
	if err != nil {
		return err
	}
	var records []certificate.Record
	if *clientID != "" {
		records, err = store.ListByClient(ctx, *clientID)
	} else {
		records, err = store.List(ctx)
	}
	if err != nil {
		return err
	}

	records = slices.DeleteFunc(records, func(r certificate.Record) bool {
		return *status != "" && string(r.Status) != *status
	})
	slices.SortFunc(records, func(x, y certificate.Record) int {
		return cmp.Or(cmp.Compare(x.ClientID, y.ClientID), x.IssuedAt.Compare(y.IssuedAt), cmp.Compare(x.SerialNumber, y.SerialNumber))
	})

	if *output == "json" {
		enc := json.NewEncoder(a.Stdout)
		enc.SetIndent("", "  ")
		if records == nil {
			records = []certificate.Record{}
		}
		return enc.Encode(records)
	}
	a.progress("%d certificates", len(records))
	return printRecordTable(a, records)
}

func printRecordTable(a *App, records []certificate.Record) error {
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIAL\tCLIENT ID\tSTATUS\tNOT AFTER\tSUBJECT")
	for _, r := range records {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.SerialNumber, r.ClientID, r.Status, r.NotAfter.UTC().Format(timeLayout), r.SubjectDN)
	}
	return tw.Flush()
}
