package config

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/gulag/chief-monitor/internal/chief/schedule"
)

var (
	weekdayNames = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}
	monthNames   = []string{"", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
	frequencies  = []string{"custom", "daily", "interval", "monthly", "weekly", "yearly"}
	ordinals     = map[string]int{"first": 1, "second": 2, "third": 3, "fourth": 4, "last": schedule.Last}
	timeRe       = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)
	everyRe      = regexp.MustCompile(`^([0-9]+)([smhd])$`)
	wordRe       = regexp.MustCompile(`[a-z]+`)
	daysInMonth  = []int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	commonFields = []string{"frequency", "timezone", "start", "end", "exclude"}
	extraFields  = map[string][]string{
		"daily":    {"time", "weekdays_only"},
		"weekly":   {"day", "time"},
		"monthly":  {"day_of_month", "ordinal", "day", "time"},
		"yearly":   {"month", "day_of_month", "time"},
		"interval": {"every"},
		"custom":   {"minute", "hour", "day_of_month", "month", "day_of_week"},
	}
)

// defaultTimezone is the zone of schedules that name none: $TZ when it is a valid IANA name,
// else UTC (the machine's configured zone is deliberately not consulted).
func defaultTimezone() string {
	if tz := os.Getenv("TZ"); tz != "" && tz != "Local" && !strings.HasPrefix(tz, ":") {
		if _, err := time.LoadLocation(tz); err == nil {
			return tz
		}
	}
	return "UTC"
}

// compileSchedule validates a job's schedule block and compiles it.
func compileSchedule(n *yaml.Node, path, defTZ string) (*schedule.Schedule, string, error) {
	m, ok := asMapping(n)
	if !ok {
		return nil, "", errorf("%s must be a mapping", path)
	}
	freqText, ok := text(m.get("frequency"))
	if !ok || strings.TrimSpace(freqText) == "" {
		return nil, "", errorf("%s.frequency must be a non-empty string", path)
	}
	freq := strings.ToLower(strings.TrimSpace(freqText))
	if !slices.Contains(frequencies, freq) {
		return nil, "", errorf("%s.frequency must be one of %s, got %q", path, pyList(frequencies), freq)
	}
	tz := defTZ
	var err error
	if m.has("timezone") {
		if tz, err = timezone(m.get("timezone"), path+".timezone"); err != nil {
			return nil, "", err
		}
	}
	if tz == "" {
		tz = defaultTimezone()
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, "", errorf("Invalid timezone %q at %s.timezone", tz, path)
	}
	p := schedule.Params{Location: loc}
	if p.Start, err = bound(m, "start", path, loc); err != nil {
		return nil, "", err
	}
	if p.End, err = bound(m, "end", path, loc); err != nil {
		return nil, "", err
	}
	if !p.Start.IsZero() && !p.End.IsZero() && p.Start.After(p.End) {
		return nil, "", errorf("%s.start must be <= %s.end", path, path)
	}
	if p.Exclude, err = excludes(m.get("exclude"), path+".exclude"); err != nil {
		return nil, "", err
	}
	if u := m.unknown(append(slices.Clone(commonFields), extraFields[freq]...)...); len(u) > 0 {
		return nil, "", errorf("unknown fields for %s schedule at %s: %s", freq, path, pyList(u))
	}
	c := &compiler{m: m, path: path, tz: tz, p: &p}
	switch freq {
	case "daily":
		err = c.daily()
	case "weekly":
		err = c.weekly()
	case "monthly":
		err = c.monthly()
	case "yearly":
		err = c.yearly()
	case "interval":
		err = c.interval()
	case "custom":
		err = c.custom()
	}
	if err != nil {
		return nil, "", err
	}
	s, err := schedule.New(p)
	if err != nil {
		return nil, "", errorf("%s: %v", path, err)
	}
	return s, tz, nil
}

func bound(m *mapping, key, path string, loc *time.Location) (time.Time, error) {
	if !m.has(key) {
		return time.Time{}, nil
	}
	s, ok := text(m.get(key))
	if !ok {
		return time.Time{}, errorf("%s.%s must be an ISO datetime string", path, key)
	}
	w, err := schedule.ParseBound(s, loc)
	if err != nil {
		return time.Time{}, errorf("%s.%s must be ISO datetime, got %q", path, key, s)
	}
	return w, nil
}

func excludes(n *yaml.Node, path string) ([]time.Time, error) {
	if isNull(n) {
		return nil, nil
	}
	if m, ok := asMapping(n); ok && m.has("holidays") {
		return nil, errorf("%s: named holidays are disabled; use explicit exclude: [YYYY-MM-DD] dates", path)
	}
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		return nil, errorf("%s must be a list of YYYY-MM-DD dates", path)
	}
	var out []time.Time
	for k, item := range n.Content {
		s, ok := text(item)
		if !ok {
			return nil, errorf("%s[%d] must be YYYY-MM-DD string", path, k)
		}
		d, err := schedule.ParseDate(s)
		if err != nil {
			return nil, errorf("%s[%d] must be YYYY-MM-DD, got %q", path, k, s)
		}
		out = append(out, d)
	}
	return out, nil
}

type compiler struct {
	m    *mapping
	path string
	tz   string
	p    *schedule.Params
}

// clock validates `time` and returns its hour, minute and text.
func (c *compiler) clock() (int, int, string, error) {
	s, ok := text(c.m.get("time"))
	if !ok {
		return 0, 0, "", errorf("%s.time must be HH:MM string", c.path)
	}
	g := timeRe.FindStringSubmatch(strings.TrimSpace(s))
	if g == nil {
		return 0, 0, "", errorf("%s.time must be HH:MM (24-hour), got %q", c.path, s)
	}
	h, _ := strconv.Atoi(g[1])
	mi, _ := strconv.Atoi(g[2])
	return h, mi, g[0], nil
}

func (c *compiler) set(kind schedule.Kind, expr, desc string) {
	c.p.Kind, c.p.Expr, c.p.Description = kind, expr, desc+" ("+c.tz+")"
}

func (c *compiler) daily() error {
	h, mi, hm, err := c.clock()
	if err != nil {
		return err
	}
	wd := false
	if c.m.has("weekdays_only") {
		v, ok := boolValue(c.m.get("weekdays_only"))
		if !ok {
			return errorf("%s.weekdays_only must be true/false", c.path)
		}
		wd = v
	}
	if wd {
		c.set(schedule.PureCron, fmt.Sprintf("%d %d * * 1-5", mi, h), "Runs every weekday at "+hm)
	} else {
		c.set(schedule.PureCron, fmt.Sprintf("%d %d * * *", mi, h), "Runs daily at "+hm)
	}
	return nil
}

func (c *compiler) weekly() error {
	h, mi, hm, err := c.clock()
	if err != nil {
		return err
	}
	cron, names, _, err := weekdays(c.m.get("day"), c.path+".day")
	if err != nil {
		return err
	}
	c.set(schedule.PureCron, fmt.Sprintf("%d %d * * %s", mi, h, cron), fmt.Sprintf("Runs every %s at %s", names, hm))
	return nil
}

func (c *compiler) monthly() error {
	h, mi, hm, err := c.clock()
	if err != nil {
		return err
	}
	hasDOM := !isNull(c.m.get("day_of_month"))
	hasOrd, hasDay := !isNull(c.m.get("ordinal")), !isNull(c.m.get("day"))
	switch {
	case hasDOM && (hasOrd || hasDay):
		return errorf("%q monthly schedule cannot mix \"day_of_month\" with \"ordinal/day\"", c.path)
	case hasDOM:
		d, err := c.dayOfMonth()
		if err != nil {
			return err
		}
		c.set(schedule.PureCron, fmt.Sprintf("%d %d %d * *", mi, h, d), fmt.Sprintf("Runs monthly on day %d at %s", d, hm))
	case hasOrd && hasDay:
		os, _ := text(c.m.get("ordinal"))
		ord, ok := ordinals[strings.ToLower(strings.TrimSpace(os))]
		if !ok {
			return errorf("%s.ordinal must be one of ['first', 'fourth', 'last', 'second', 'third'], got %q", c.path, os)
		}
		cron, _, days, err := weekdays(c.m.get("day"), c.path+".day")
		if err != nil {
			return err
		}
		if len(days) != 1 {
			return errorf("%s.day must be a single weekday for this frequency", c.path)
		}
		c.p.Ordinal, c.p.Weekday = ord, time.Weekday(days[0])
		c.set(schedule.Hybrid, fmt.Sprintf("%d %d * * %s", mi, h, cron),
			fmt.Sprintf("Runs monthly on the %s %s at %s", strings.ToLower(strings.TrimSpace(os)), weekdayNames[days[0]], hm))
	default:
		return errorf(`"monthly" requires either "day_of_month" or "ordinal + day" (at %s)`, c.path)
	}
	return nil
}

func (c *compiler) dayOfMonth() (int, error) {
	d, ok := intValue(c.m.get("day_of_month"))
	if !ok {
		return 0, errorf("%s.day_of_month must be an integer", c.path)
	}
	if d < 1 || d > 31 {
		return 0, errorf("%s.day_of_month must be between 1 and 31", c.path)
	}
	return d, nil
}

func (c *compiler) yearly() error {
	mn := deref(c.m.get("month"))
	month := 0
	if v, ok := intValue(mn); ok {
		month = v
	} else if s, ok := text(mn); ok {
		s = strings.ToLower(strings.TrimSpace(s))
		if i := slices.Index(monthNames, s); i > 0 {
			month = i
		} else if v, err := strconv.Atoi(s); err == nil && allDigits(s) {
			month = v
		} else {
			return errorf("%s.month: invalid month %q", c.path, s)
		}
	} else {
		return errorf("%s.month must be month name or number", c.path)
	}
	if month < 1 || month > 12 {
		return errorf("%s.month must be between 1 and 12", c.path)
	}
	d, err := c.dayOfMonth()
	if err != nil {
		return err
	}
	if d > daysInMonth[month] {
		return errorf("%s.day_of_month %d does not exist in %s; the job would never run", c.path, d, monthNames[month])
	}
	h, mi, hm, err := c.clock()
	if err != nil {
		return err
	}
	c.set(schedule.PureCron, fmt.Sprintf("%d %d %d %d *", mi, h, d, month), fmt.Sprintf("Runs yearly on %s %d at %s", monthNames[month], d, hm))
	return nil
}

func (c *compiler) interval() error {
	s, ok := text(c.m.get("every"))
	if !ok {
		return errorf("%s.every must be an interval string like 5m, 2h, 1d", c.path)
	}
	s = strings.ToLower(strings.TrimSpace(s))
	g := everyRe.FindStringSubmatch(s)
	if g == nil {
		return errorf("%s.every must be in format <number><m|h|d>, got %q", c.path, s)
	}
	n, err := strconv.Atoi(g[1])
	if err != nil || n <= 0 {
		return errorf("%s.every must be > 0", c.path)
	}
	unit := g[2]
	switch {
	case unit == "s":
		return errorf("seconds intervals are unsupported; use m, h or d (at %s.every)", c.path)
	case unit == "m" && 60%n == 0:
		c.set(schedule.PureCron, fmt.Sprintf("*/%d * * * *", n), fmt.Sprintf("Runs every %d minute(s)", n))
		if n == 60 {
			c.p.Expr = "0 * * * *"
		}
	case unit == "h" && 24%n == 0:
		c.set(schedule.PureCron, fmt.Sprintf("0 */%d * * *", n), fmt.Sprintf("Runs every %d hour(s)", n))
		if n == 24 {
			c.p.Expr = "0 0 * * *"
		}
	case unit == "d" && n == 1:
		c.set(schedule.PureCron, "0 0 * * *", "Runs every day at 00:00")
	default:
		per := map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[unit]
		c.p.Interval = time.Duration(n) * per
		c.set(schedule.RuntimeOnly, "", fmt.Sprintf("Runs every %d%s using runtime scheduler", n, unit))
	}
	return nil
}

func (c *compiler) custom() error {
	fields := extraFields["custom"]
	present := false
	for _, f := range fields {
		present = present || c.m.has(f)
	}
	if !present {
		return errorf(`"custom" requires at least one of %s (at %s)`, pyList(fields), c.path)
	}
	tokens := make([]string, 5)
	for i, f := range fields {
		fp := c.path + "." + f
		tokens[i] = "*"
		if !c.m.has(f) {
			continue
		}
		n := deref(c.m.get(f))
		tok := ""
		if v, ok := intValue(n); ok {
			tok = strconv.Itoa(v)
		} else if s, ok := text(n); ok {
			tok = strings.TrimSpace(s)
		} else if f == "month" || f == "day_of_week" {
			tok = "none"
			if n != nil && !isNull(n) {
				tok = strings.ToLower(n.Value)
			}
		} else {
			return errorf("%s must be string/int cron token", fp)
		}
		if f == "month" || f == "day_of_week" {
			names := monthNames
			if f == "day_of_week" {
				names = weekdayNames
			}
			var bad string
			tok = wordRe.ReplaceAllStringFunc(strings.ToLower(tok), func(w string) string {
				if i := slices.Index(names, w); i >= 0 && w != "" {
					return strconv.Itoa(i)
				}
				if bad == "" {
					bad = w
				}
				return w
			})
			if bad != "" {
				return errorf("Invalid token %q at %s", bad, fp)
			}
		}
		r := schedule.FieldRanges[i]
		if err := schedule.ValidateToken(tok, r[0], r[1]); err != nil {
			return errorf("%s at %s", err.Error(), fp)
		}
		tokens[i] = tok
	}
	c.set(schedule.PureCron, strings.Join(tokens, " "), "Runs on custom schedule")
	return nil
}

// weekdays parses a weekday expression into its cron rendering, its name rendering and
// the day numbers it lists.
func weekdays(n *yaml.Node, path string) (cron, names string, days []int, err error) {
	n = deref(n)
	if n != nil && n.Kind == yaml.SequenceNode {
		if len(n.Content) == 0 {
			return "", "", nil, errorf("%s cannot be empty", path)
		}
		var cs, ns []string
		for _, item := range n.Content {
			c, nm, d, err := weekdays(item, path+"[]")
			if err != nil {
				return "", "", nil, err
			}
			cs, ns, days = append(cs, c), append(ns, nm), append(days, d...)
		}
		return strings.Join(cs, ","), strings.Join(ns, ", "), days, nil
	}
	s, ok := text(n)
	if !ok {
		return "", "", nil, errorf("%s must be weekday string or list", path)
	}
	return weekdayText(strings.ToLower(strings.TrimSpace(s)), path)
}

func weekdayText(s, path string) (cron, names string, days []int, err error) {
	if strings.Contains(s, ",") {
		var cs, ns []string
		for _, seg := range strings.Split(s, ",") {
			if seg = strings.TrimSpace(seg); seg == "" {
				continue
			}
			c, nm, d, err := weekdayText(seg, path)
			if err != nil {
				return "", "", nil, err
			}
			cs, ns, days = append(cs, c), append(ns, nm), append(days, d...)
		}
		if len(cs) == 0 {
			return "", "", nil, errorf("%s is empty", path)
		}
		return strings.Join(cs, ","), strings.Join(ns, ", "), days, nil
	}
	if strings.Count(s, "-") == 1 {
		a, b, _ := strings.Cut(s, "-")
		da, err := weekdayToken(strings.TrimSpace(a), path)
		if err != nil {
			return "", "", nil, err
		}
		db, err := weekdayToken(strings.TrimSpace(b), path)
		if err != nil {
			return "", "", nil, err
		}
		if da > db {
			return "", "", nil, errorf("Invalid weekday range %q at %s", s, path)
		}
		for d := da; d <= db; d++ {
			days = append(days, d)
		}
		return fmt.Sprintf("%d-%d", da, db), weekdayNames[da] + "-" + weekdayNames[db], days, nil
	}
	d, err := weekdayToken(s, path)
	if err != nil {
		return "", "", nil, err
	}
	return strconv.Itoa(d), weekdayNames[d], []int{d}, nil
}

func weekdayToken(s, path string) (int, error) {
	if i := slices.Index(weekdayNames, s); i >= 0 {
		return i, nil
	}
	if v, err := strconv.Atoi(s); err == nil && allDigits(s) && v >= 0 && v <= 7 {
		return v % 7, nil
	}
	return 0, errorf("Invalid weekday %q at %s", s, path)
}

func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
