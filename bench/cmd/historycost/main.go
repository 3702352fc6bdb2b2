// Command historycost counts, in recorded workflow histories (the JSON of `temporal workflow show
// --output json`), what docs/CAPACITY.md reports per history: events, workflow tasks, signals,
// updates, timers, activity attempts, workflow tasks holding local activities, search-attribute
// upserts, Temporal Cloud billable actions and history bytes, as one markdown table.
//
//	go run ./bench/cmd/historycost 'workflows/testdata/histories/*.json'
//
// Billable actions follow https://docs.temporal.io/cloud/actions: one per start or continue-as-new,
// one for a Signal-With-Start in total, one per other signal, update, timer and activity attempt, one
// per workflow task for all its local activities, one per upsert, one per mutable side effect.
// Queries are billed too but leave no event, so they are not counted.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "historycost:", err)
		os.Exit(1)
	}
}

func run(args []string, w io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: historycost 'GLOB' (e.g. 'workflows/testdata/histories/*.json')")
	}
	files, err := filepath.Glob(args[0])
	if err != nil {
		return fmt.Errorf("glob %q: %w", args[0], err)
	}
	if len(files) == 0 {
		return fmt.Errorf("no file matches %q", args[0])
	}
	sort.Strings(files)
	fmt.Fprintln(w, "| history | events | workflow tasks | signals | updates | timers | activities | WFTs with local activities | upserts | actions | bytes (protobuf) | bytes per event |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var h historypb.History
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, &h); err != nil {
			return fmt.Errorf("decode history %s: %w", f, err)
		}
		if len(h.Events) == 0 {
			return fmt.Errorf("history %s has no events", f)
		}
		var wft, sig, upd, timers, acts, laWFT, upserts, starts, can, sideEffects int
		// la: the current workflow task already holds a local-activity marker.
		la := false
		for _, e := range h.Events {
			switch e.EventType {
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
				starts++
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
				wft++
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
				la = false
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
				sig++
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
				upd++
			case enumspb.EVENT_TYPE_TIMER_STARTED:
				timers++
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
				acts += int(e.GetActivityTaskStartedEventAttributes().GetAttempt())
			case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
				upserts++
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
				can++
			case enumspb.EVENT_TYPE_MARKER_RECORDED:
				switch e.GetMarkerRecordedEventAttributes().GetMarkerName() {
				case "LocalActivity":
					if !la {
						laWFT++
						la = true
					}
				case "SideEffect":
					sideEffects++
				}
			}
		}
		// The first signal arrives with the start (SignalWithStart): one action for both.
		actions := starts + (sig - 1) + upd + timers + acts + laWFT + upserts + can + sideEffects
		size := proto.Size(&h)
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n", strings.TrimSuffix(filepath.Base(f), ".json"),
			len(h.Events), wft, sig, upd, timers, acts, laWFT, upserts, actions, size, size/len(h.Events))
	}
	return nil
}
