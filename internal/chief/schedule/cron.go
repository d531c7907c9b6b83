package schedule

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// ErrCron is wrapped by every cron parsing error.
var ErrCron = errors.New("schedule: cron")

// fieldRange is the inclusive value range of one cron field.
type fieldRange struct{ min, max int }

var (
	minuteRange = fieldRange{0, 59}
	hourRange   = fieldRange{0, 23}
	domRange    = fieldRange{1, 31}
	monthRange  = fieldRange{1, 12}
	dowRange    = fieldRange{0, 7}
)

// FieldRanges lists the value ranges of the five cron fields in order: minute, hour,
// day of month, month, day of week (0 and 7 are Sunday).
var FieldRanges = [5][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}

// Cron is a parsed five-field cron expression (minute hour day-of-month month day-of-week).
type Cron struct {
	expr                                string
	minute, hour, dom, month, dow       uint64
	domRestricted, dowRestricted, bothR bool
}

// ParseCron parses a five-field cron expression. Each field accepts `*`, `N`, `A-B`, any of
// those followed by `/S`, and comma-separated unions of them.
func ParseCron(expr string) (*Cron, error) {
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return nil, fmt.Errorf("%w: %q must have 5 fields, got %d", ErrCron, expr, len(fields))
	}
	ranges := []fieldRange{minuteRange, hourRange, domRange, monthRange, dowRange}
	var sets [5]uint64
	for i, f := range fields {
		if err := ValidateToken(f, ranges[i].min, ranges[i].max); err != nil {
			return nil, fmt.Errorf("%w: field %d of %q: %w", ErrCron, i+1, expr, err)
		}
		sets[i] = expand(f, ranges[i])
	}
	// Day of week 7 is Sunday.
	if sets[4]&(1<<7) != 0 {
		sets[4] = (sets[4] | 1) &^ (1 << 7)
	}
	c := &Cron{expr: strings.Join(fields, " "), minute: sets[0], hour: sets[1], dom: sets[2], month: sets[3], dow: sets[4]}
	// Vixie-cron day rule as croniter implements it: a day field is unrestricted when it is "*",
	// or when it covers its whole range and the other day field contains a "*".
	domFull := sets[2] == rangeBits(domRange)
	dowFull := sets[4]&0x7f == 0x7f
	c.domRestricted = !(fields[2] == "*" || (domFull && strings.Contains(fields[4], "*")))
	c.dowRestricted = !(fields[4] == "*" || (dowFull && strings.Contains(fields[2], "*")))
	c.bothR = c.domRestricted && c.dowRestricted
	return c, nil
}

// String returns the expression with single spaces between fields.
func (c *Cron) String() string { return c.expr }

// MatchDay reports whether the calendar day (year, month, day) matches the day fields.
func (c *Cron) MatchDay(d time.Time) bool {
	if c.month&(1<<uint(d.Month())) == 0 {
		return false
	}
	domOK := c.dom&(1<<uint(d.Day())) != 0
	dowOK := c.dow&(1<<uint(d.Weekday())) != 0
	if c.bothR {
		return domOK || dowOK
	}
	return domOK && dowOK
}

// Match reports whether the wall-clock minute w matches the whole expression.
func (c *Cron) Match(w time.Time) bool {
	return c.MatchDay(w) && c.hour&(1<<uint(w.Hour())) != 0 && c.minute&(1<<uint(w.Minute())) != 0
}

// times returns the matching (hour, minute) pairs of one day, in order.
func (c *Cron) times() [][2]int {
	var out [][2]int
	for h := c.hour; h != 0; h &= h - 1 {
		hour := bits.TrailingZeros64(h)
		for m := c.minute; m != 0; m &= m - 1 {
			out = append(out, [2]int{hour, bits.TrailingZeros64(m)})
		}
	}
	return out
}

func rangeBits(r fieldRange) uint64 {
	var b uint64
	for v := r.min; v <= r.max; v++ {
		b |= 1 << uint(v)
	}
	return b
}

// expand turns an already validated field into a bit set.
func expand(field string, r fieldRange) uint64 {
	var set uint64
	for _, part := range strings.Split(field, ",") {
		base, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			step, _ = strconv.Atoi(stepText)
		}
		lo, hi := r.min, r.max
		switch {
		case base == "*":
		case strings.Contains(base, "-"):
			a, b, _ := strings.Cut(base, "-")
			lo, _ = strconv.Atoi(a)
			hi, _ = strconv.Atoi(b)
		default:
			lo, _ = strconv.Atoi(base)
			if !hasStep {
				hi = lo
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << uint(v)
		}
	}
	return set
}

// ValidateToken checks one cron field against the range min..max and returns an error whose
// text is one of: `cannot be empty`, `Invalid cron token "…"`, `Invalid step "…"`,
// `Step "…" too large`, `Invalid range "…"`, `Range "…" out of bounds A-B`, `Invalid token "…"`,
// `Value "…" out of bounds A-B`.
func ValidateToken(token string, min, max int) error {
	token = strings.TrimSpace(token)
	if token == "" {
		return errors.New("cannot be empty")
	}
	if strings.Trim(token, "0123456789*,/-") != "" {
		return fmt.Errorf("Invalid cron token %q", token)
	}
	for _, part := range strings.Split(token, ",") {
		if part == "" {
			return fmt.Errorf("Invalid cron token %q", token)
		}
		base := part
		if b, step, ok := strings.Cut(part, "/"); ok {
			n, err := strconv.Atoi(step)
			if err != nil || !allDigits(step) || n <= 0 {
				return fmt.Errorf("Invalid step %q", part)
			}
			if b == "*" {
				continue
			}
			if n > max-min+1 {
				return fmt.Errorf("Step %q too large", step)
			}
			base = b
		}
		if err := validateBase(base, min, max); err != nil {
			return err
		}
	}
	return nil
}

func validateBase(base string, min, max int) error {
	switch {
	case base == "*":
		return nil
	case strings.Contains(base, "-"):
		a, b, _ := strings.Cut(base, "-")
		lo, err1 := strconv.Atoi(a)
		hi, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || !allDigits(a) || !allDigits(b) || lo > hi {
			return fmt.Errorf("Invalid range %q", base)
		}
		if lo < min || hi > max {
			return fmt.Errorf("Range %q out of bounds %d-%d", base, min, max)
		}
	default:
		n, err := strconv.Atoi(base)
		if err != nil || !allDigits(base) {
			return fmt.Errorf("Invalid token %q", base)
		}
		if n < min || n > max {
			return fmt.Errorf("Value %q out of bounds %d-%d", base, min, max)
		}
	}
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
