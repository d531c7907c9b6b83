package monitorclient_test

import (
	"fmt"

	"github.com/gulag/chief-monitor/monitorclient"
)

// A Go worker reports progress; outside gulag-chief (no CHIEF_MONITOR_ENDPOINT) every call is
// a cheap no-op that returns false.
func ExampleClient_Info() {
	monitor := monitorclient.New(monitorclient.WithEndpoint(""))
	ok := monitor.Info("step started", "phase", "extract", "records", 30)
	fmt.Println(ok)
	// Output: false
}

func ExampleMeta() {
	fmt.Println(monitorclient.Meta("table", "fact_orders", "rows", 42))
	// Output: map[rows:42 table:fact_orders]
}
