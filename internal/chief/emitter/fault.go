package emitter

// fault follows the events at the head of the spool that the monitor keeps refusing with the
// same 5xx, and the bisection that narrows them down to the event at fault. It lives in memory:
// another process sharing the spool keeps its own count, and a restart begins again, which
// costs a few extra attempts and loses nothing.
type fault struct {
	head   string // first line of the refused batch
	status int
	fails  int // refusals in a row of a batch starting at head, with status
	region int // lines at the head of the spool known to hold the fault; 0 = not bisecting
	size   int // batch size tried while bisecting
}

// limit is the most lines to send from the head of the spool in one batch.
func (f *fault) limit() int {
	if f.region == 0 {
		return BatchSize
	}
	return min(f.size, f.region)
}

// advance forgets k lines that left the head of the spool (delivered or dead-lettered). A
// region delivered in full had no bad event after all: back to full batches.
func (f *fault) advance(k int) {
	if k == 0 {
		return
	}
	f.head, f.fails = "", 0
	if f.region > 0 {
		if f.region -= k; f.region <= 0 {
			*f = fault{}
		}
	}
}

// refused counts a refusal of the batch starting with head and reports whether the monitor has
// now refused it maxRefusals times in a row with the same status. Only suspect answers count:
// an outage (503, a network error) says nothing about the events and breaks the run.
func (f *fault) refused(head []byte, r reply) bool {
	if r.outcome != suspect {
		f.fails = 0
		return false
	}
	if string(head) != f.head || r.status != f.status {
		f.head, f.status, f.fails = string(head), r.status, 0
	}
	f.fails++
	return f.fails >= maxRefusals
}

// split narrows the search to the first half of the size lines just refused; the second half
// follows once the first is delivered.
func (f *fault) split(size int) {
	f.region, f.size = size, (size+1)/2
	f.head, f.fails = "", 0
}
