package handlers

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// browserPath is where a browser takes a link found on a page at /jobs: it resolves "." and
// ".." segments, and like the URL standard it reads %2e as a dot.
func browserPath(t *testing.T, href string) string {
	t.Helper()
	dots := regexp.MustCompile(`(?i)%2e`)
	u, err := url.Parse(href)
	if err != nil {
		t.Fatalf("link %q: %v", href, err)
	}
	segs := strings.Split(u.EscapedPath(), "/")
	for i, s := range segs {
		if d := dots.ReplaceAllString(s, "."); d == "." || d == ".." {
			segs[i] = d
		}
	}
	ref, _ := url.Parse(strings.Join(segs, "/"))
	ref.RawQuery = u.RawQuery
	base, _ := url.Parse("http://monitor.example/jobs")
	res := base.ResolveReference(ref)
	return res.RequestURI()
}

// Every job link on the pages reaches its job, whatever the name.
func TestJobLinksReachOddNames(t *testing.T) {
	r := newAPI(t, Options{})
	names := []string{".", "..", "a/b", "../etc", "q?x#y%z", "100%2E", "tab\there", "pay\u202eslip", "plain"}
	for _, n := range names {
		b, _ := json.Marshal(n)
		r.want(r.do("POST", "/v1/events", `{"sourceType":"chief","eventType":"job.started","level":"INFO","message":"m","jobName":`+string(b)+`}`), 202, "")
	}
	page := r.do("GET", "/jobs", "")
	hrefs := regexp.MustCompile(`<td class="job"><a href="([^"]*)"`).FindAllStringSubmatch(page.body, -1)
	if len(hrefs) != len(names) {
		t.Fatalf("%d job links on /jobs, want %d:\n%s", len(hrefs), len(names), page.body)
	}
	reached := map[string]bool{}
	for _, m := range hrefs {
		href := strings.ReplaceAll(m[1], "&amp;", "&")
		got := r.do("GET", browserPath(t, href), "")
		d := regexp.MustCompile(`hx-get="([^"]*)"`).FindStringSubmatch(got.body)
		if got.status != 200 || d == nil {
			t.Fatalf("link %s (as %s): %d", href, browserPath(t, href), got.status)
		}
		h1 := regexp.MustCompile(`(?s)<h1>Job Detail: (.*?)</h1>`).FindStringSubmatch(got.body)
		if h1 == nil {
			t.Fatalf("link %s (as %s) is not a Job Detail page", href, browserPath(t, href))
		}
		reached[h1[1]] = true
		// The page's live region polls the same job.
		partial := r.do("GET", browserPath(t, strings.ReplaceAll(d[1], "&amp;", "&")), "")
		if partial.status != 200 || strings.Contains(partial.body, "Job not found") {
			t.Fatalf("partial of %s: %d %s", href, partial.status, partial.body)
		}
	}
	if len(reached) != len(names) {
		t.Fatalf("links reached %d distinct jobs, want %d: %v", len(reached), len(names), reached)
	}
	// The path form still decodes an escaped dot, for links made by hand.
	r.wantContains(r.do("GET", "/jobs/%2E", ""), 200, `<h1>Job Detail: .</h1>`)
	r.wantContains(r.do("GET", "/jobs/%2E%2E", ""), 200, `<h1>Job Detail: ..</h1>`)
	r.wantContains(r.do("GET", "/job?name=..", ""), 200, `<h1>Job Detail: ..</h1>`)
	r.want(r.do("GET", "/job?name=nope", ""), 404, "")
}
