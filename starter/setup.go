package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/tailorhq/tailor/workflows"
)

// searchAttributeWait bounds how long setup waits for newly added attributes to become visible.
const searchAttributeWait = 15 * time.Second

func runSetup(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	if _, err := a.parseFlags(c, fs, args, 0); err != nil {
		return err
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	st, err := a.db(ctx)
	if err != nil {
		return err
	}
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("database %s: %w", describeDatabase(cfg.DatabaseURL), err)
	}
	fmt.Fprintf(a.stdout, "database %s: schema is up to date\n", describeDatabase(cfg.DatabaseURL))

	tc, err := a.temporalClient(ctx)
	if err != nil {
		return err
	}
	ops := tc.OperatorService()
	ns := cfg.TemporalNamespace
	listed, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		return fmt.Errorf("list search attributes of namespace %q: %w", ns, err)
	}
	missing := map[string]enums.IndexedValueType{}
	for _, name := range workflows.SearchAttributes {
		typ, ok := listed.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = enums.INDEXED_VALUE_TYPE_KEYWORD
		case typ != enums.INDEXED_VALUE_TYPE_KEYWORD:
			return fmt.Errorf("namespace %q already has a search attribute %s of type %s, but Tailor needs Keyword: remove it (temporal operator search-attribute remove --name %s) or use another namespace (TEMPORAL_NAMESPACE)",
				ns, name, typ, name)
		default:
			fmt.Fprintf(a.stdout, "namespace %s: search attribute %s (Keyword) already registered\n", ns, name)
		}
	}
	if len(missing) == 0 {
		fmt.Fprintln(a.stdout, "setup done")
		return nil
	}
	_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: ns, SearchAttributes: missing})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) { // AlreadyExists: another setup won the race
		return fmt.Errorf("register search attributes on namespace %q: %w", ns, err)
	}
	if err := waitForSearchAttributes(ctx, ops, ns, missing); err != nil {
		return err
	}
	for _, name := range workflows.SearchAttributes {
		if _, ok := missing[name]; ok {
			fmt.Fprintf(a.stdout, "namespace %s: search attribute %s (Keyword) registered\n", ns, name)
		}
	}
	fmt.Fprintln(a.stdout, "setup done")
	return nil
}

// waitForSearchAttributes polls until the namespace lists every attribute in want: a workflow
// started before then would be refused.
func waitForSearchAttributes(ctx context.Context, ops operatorservice.OperatorServiceClient, ns string, want map[string]enums.IndexedValueType) error {
	ctx, cancel := context.WithTimeout(ctx, searchAttributeWait)
	defer cancel()
	for {
		listed, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
		if err == nil {
			var absent []string
			for name := range want {
				if _, ok := listed.GetCustomAttributes()[name]; !ok {
					absent = append(absent, name)
				}
			}
			if len(absent) == 0 {
				return nil
			}
			slices.Sort(absent)
			err = fmt.Errorf("still missing %v", absent)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("search attributes on namespace %q did not appear within %s (%v); run `starter setup` again", ns, searchAttributeWait, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
