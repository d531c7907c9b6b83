package handlers

import (
	"strings"
	"testing"
)

func TestAlertIDMustBeDigits(t *testing.T) {
	r := newAPI(t, Options{})
	r.do("POST", "/v1/events", `{"sourceType":"chief","eventType":"job.failed","level":"ERROR","message":"f","jobName":"j"}`)
	r.do("POST", "/v1/events", `{"sourceType":"chief","eventType":"job.failed","level":"ERROR","message":"f","jobName":"k"}`)
	for _, id := range []string{"2x", "2.5", "2%20OR%201=1", "+2", "%202", "2%20", "0x2", "1e0", "99999999999999999999", "%20"} {
		r.want(r.do("POST", "/v1/alerts/"+id+"/close", ""), 400, `{"error":"alertId must be a positive integer"}`)
		r.want(r.do("GET", "/v1/alerts/"+id+"/deliveries", ""), 400, `{"error":"alertId must be a positive integer"}`)
	}
	r.want(r.do("POST", "/v1/alerts//close", ""), 400, `{"error":"alertId must be a positive integer"}`)
	r.want(r.do("GET", "/v1/alerts//deliveries", ""), 400, `{"error":"alertId must be a positive integer"}`)
	r.wantContains(r.do("GET", "/v1/alerts?status=OPEN", ""), 200, `"id":2,`, `"id":1,`)
	r.wantContains(r.do("POST", "/v1/alerts/2/close", ""), 200, `"alert":{"id":2,"status":"CLOSED"`)
}

func TestRepeatedFilterIsRefused(t *testing.T) {
	r := newAPI(t, Options{})
	r.do("POST", "/v1/events", `{"sourceType":"chief","eventType":"job.failed","level":"ERROR","message":"f","jobName":"a"}`)
	r.do("POST", "/v1/events", `{"sourceType":"chief","eventType":"job.failed","level":"ERROR","message":"f","jobName":"b"}`)
	for _, p := range eventFilterParams {
		r.want(r.do("GET", "/v1/events?"+p+"=a&"+p+"=b", ""), 400,
			`{"error":"Invalid query parameters","details":{"formErrors":[],"fieldErrors":{"`+p+`":["Expected string, received array"]},"issues":[{"path":"`+p+`","message":"Expected string, received array"}]}}`)
		r.want(r.do("GET", "/events?"+p+"=a&"+p+"=b", ""), 400, "Query parameter "+p+": Expected string, received array")
		r.want(r.do("GET", "/partials/events/table?"+p+"=a&"+p+"=b", ""), 400, "")
	}
	for _, p := range alertFilterParams {
		r.wantContains(r.do("GET", "/v1/alerts?"+p+"=a&"+p+"=", ""), 400, `"fieldErrors":{"`+p+`":["Expected string, received array"]}`)
		r.want(r.do("GET", "/alerts?"+p+"=a&"+p+"=b", ""), 400, "Query parameter "+p+": Expected string, received array")
		r.want(r.do("GET", "/partials/alerts/table?"+p+"=a&"+p+"=b", ""), 400, "")
	}
	// Once is fine, and so is a repeated page size (the original's fallback).
	if got := r.do("GET", "/v1/events?jobName=a", ""); got.status != 200 || strings.Contains(got.body, `"jobName":"b"`) {
		t.Fatalf("single filter: %d %s", got.status, got.body)
	}
	r.wantContains(r.do("GET", "/v1/alerts?jobName=b&limit=1&limit=2", ""), 200, `"jobName":"b"`, `"limit":100`)
}
