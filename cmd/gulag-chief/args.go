package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// option is one long flag of a command.
type option struct {
	name  string // without the leading dashes
	value bool   // takes a value
	help  string
}

// command describes one subcommand for parsing and usage text.
type command struct {
	name, args, summary string
	opts                []option
	positional          bool
}

var configOpt = option{name: "config", value: true, help: "config file (default chief.yaml); accepted before or after the command"}

// sessionOpts are the options of the commands that run jobs (run, daemon).
var sessionOpts = []option{
	{name: "monitor-endpoint", value: true, help: "override monitor.endpoint (env CHIEF_MONITOR_ENDPOINT_OVERRIDE)"},
	{name: "monitor-api-key", value: true, help: "override monitor.api_key (env CHIEF_MONITOR_API_KEY_OVERRIDE)"},
	{name: "log-file", value: true, help: "log file (default chief.log next to the config; \"-\" for none)"},
}

var commands = []command{
	{name: "validate", summary: "check chief.yaml and list its jobs", opts: []option{configOpt}},
	{name: "preview", summary: "show each job's schedule and next run times", opts: []option{configOpt,
		{name: "job", value: true, help: "only this job"},
		{name: "count", value: true, help: "number of upcoming runs to show (default 5)"}}},
	{name: "run", summary: "run the enabled jobs once, in order", opts: append([]option{configOpt,
		{name: "job", value: true, help: "only this job"},
		{name: "respect-schedule", help: "run a job only if the current minute is one of its fire times"}}, sessionOpts...)},
	{name: "daemon", summary: "run the scheduler loop until SIGINT or SIGTERM", opts: append([]option{configOpt,
		{name: "poll-seconds", value: true, help: "seconds between polls (default 10)"},
		{name: "run-on-start", help: "also run every job once right after startup"}}, sessionOpts...)},
	{name: "export-cron", summary: "print crontab lines for the enabled jobs", opts: []option{configOpt,
		{name: "job", value: true, help: "only this job"}}},
	{name: "emit", args: "MESSAGE [key=value ...]", summary: "send one worker.message event (for shell and other workers)", positional: true, opts: []option{
		{name: "level", value: true, help: "DEBUG, INFO (default), WARN, ERROR or CRITICAL"},
		{name: "endpoint", value: true, help: "monitor endpoint (default $CHIEF_MONITOR_ENDPOINT)"},
		{name: "api-key", value: true, help: "API key (default $CHIEF_MONITOR_API_KEY)"},
		{name: "timeout-ms", value: true, help: "request timeout in milliseconds (default 400)"},
		{name: "strict", help: "exit 1 when the event was not delivered (default: always exit 0)"}}},
	{name: "python-path", summary: "print the directory holding the Python helper, for PYTHONPATH outside Chief"},
}

// usageError is a command-line mistake: usage text and the message go to stderr, exit 2.
type usageError struct {
	cmd *command
	msg string
}

func (e *usageError) Error() string { return e.msg }

// parsed is a parsed command line.
type parsed struct {
	cmd   *command
	flags map[string]string
	pos   []string
	help  bool
}

func (p *parsed) has(name string) bool { _, ok := p.flags[name]; return ok }

func (p *parsed) intFlag(name string, def int) (int, error) {
	v, ok := p.flags[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, &usageError{cmd: p.cmd, msg: fmt.Sprintf("argument --%s: invalid int value: '%s'", name, v)}
	}
	return n, nil
}

// parseArgs parses `[--config PATH] COMMAND [options]`. Long options may be abbreviated to any
// unambiguous prefix and take values as `--opt value` or `--opt=value`.
func parseArgs(args []string) (*parsed, error) {
	p := &parsed{flags: map[string]string{}}
	global := &command{opts: []option{configOpt}}
	i := 0
	var cfgBefore *string
	for ; i < len(args); i++ {
		a := args[i]
		if isHelp(a) {
			p.help = true
			return p, nil
		}
		if !strings.HasPrefix(a, "-") {
			break
		}
		name, val, next, err := takeOption(global, args, i)
		if err != nil {
			if ue, ok := err.(*usageError); ok {
				ue.cmd = nil // before the command: top-level usage, "gulag-chief: error: …"
			}
			return nil, err
		}
		i = next
		if name == "config" {
			cfgBefore = &val
		}
	}
	if i >= len(args) {
		return nil, &usageError{msg: "the following arguments are required: command"}
	}
	for k := range commands {
		if commands[k].name == args[i] {
			p.cmd = &commands[k]
		}
	}
	if p.cmd == nil {
		return nil, &usageError{msg: fmt.Sprintf("argument command: invalid choice: '%s' (choose from %s)", args[i], commandNames())}
	}
	if cfgBefore != nil {
		p.flags["config"] = *cfgBefore
	}
	onlyPositional := false
	for i++; i < len(args); i++ {
		a := args[i]
		switch {
		case onlyPositional || !strings.HasPrefix(a, "-") || a == "-":
			if !p.cmd.positional {
				return nil, &usageError{cmd: p.cmd, msg: "unrecognized arguments: " + a}
			}
			p.pos = append(p.pos, a)
		case a == "--":
			onlyPositional = true
		case isHelp(a):
			p.help = true
			return p, nil
		default:
			name, val, next, err := takeOption(p.cmd, args, i)
			if err != nil {
				return nil, err
			}
			i = next
			p.flags[name] = val
		}
	}
	return p, nil
}

// takeOption resolves the option at args[i] and returns its name, value and the index of the
// last argument it consumed.
func takeOption(c *command, args []string, i int) (string, string, int, error) {
	a := args[i]
	if !strings.HasPrefix(a, "--") {
		return "", "", i, &usageError{cmd: c, msg: "unrecognized arguments: " + a}
	}
	key, val, hasVal := strings.Cut(a[2:], "=")
	var matches []*option
	for k := range c.opts {
		o := &c.opts[k]
		if o.name == key {
			matches = []*option{o}
			break
		}
		if strings.HasPrefix(o.name, key) && key != "" {
			matches = append(matches, o)
		}
	}
	switch {
	case len(matches) == 0:
		return "", "", i, &usageError{cmd: c, msg: "unrecognized arguments: " + a}
	case len(matches) > 1:
		var names []string
		for _, m := range matches {
			names = append(names, "--"+m.name)
		}
		return "", "", i, &usageError{cmd: c, msg: fmt.Sprintf("ambiguous option: --%s could match %s", key, strings.Join(names, ", "))}
	}
	o := matches[0]
	if !o.value {
		if hasVal {
			return "", "", i, &usageError{cmd: c, msg: fmt.Sprintf("argument --%s: ignored explicit argument '%s'", o.name, val)}
		}
		return o.name, "true", i, nil
	}
	if hasVal {
		return o.name, val, i, nil
	}
	if i+1 >= len(args) || looksLikeOption(args[i+1]) {
		return "", "", i, &usageError{cmd: c, msg: fmt.Sprintf("argument --%s: expected one argument", o.name)}
	}
	return o.name, args[i+1], i + 1, nil
}

// isHelp reports whether a is -h, --help or an abbreviation of --help (argparse accepts --h,
// --he, --hel; no other option starts with "h").
func isHelp(a string) bool {
	return a == "-h" || (len(a) > 2 && strings.HasPrefix("--help", a))
}

// negativeNumber matches what argparse accepts as a value even though it starts with "-".
var negativeNumber = regexp.MustCompile(`^-\d+$|^-\d*\.\d+$`)

// looksLikeOption reports whether argparse would read a as an option rather than as the value
// of the option before it: it starts with "-", is not "-" alone or a negative number, and has
// no space.
func looksLikeOption(a string) bool {
	return strings.HasPrefix(a, "-") && a != "-" && !negativeNumber.MatchString(a) && !strings.Contains(a, " ")
}

func commandNames() string {
	var names []string
	for _, c := range commands {
		names = append(names, "'"+c.name+"'")
	}
	return strings.Join(names, ", ")
}

// usage returns the usage text of c, or the top-level usage when c is nil.
func usage(c *command) string {
	var b strings.Builder
	if c == nil {
		b.WriteString("usage: gulag-chief [--config PATH] {" + strings.ReplaceAll(strings.ReplaceAll(commandNames(), "'", ""), ", ", ",") + "} ...\n\n")
		b.WriteString("Chief runs scheduled jobs of scripts and reports their lifecycle to the monitor.\n\ncommands:\n")
		for _, cmd := range commands {
			fmt.Fprintf(&b, "  %-12s %s\n", cmd.name, cmd.summary)
		}
		b.WriteString("\nRun `gulag-chief COMMAND --help` for a command's options.\n")
		return b.String()
	}
	line := "usage: gulag-chief " + c.name + " [-h]"
	for _, o := range c.opts {
		if o.value {
			line += fmt.Sprintf(" [--%s %s]", o.name, strings.ToUpper(strings.ReplaceAll(o.name, "-", "_")))
		} else {
			line += fmt.Sprintf(" [--%s]", o.name)
		}
	}
	if c.args != "" {
		line += " " + c.args
	}
	b.WriteString(line + "\n\n" + c.summary + "\n\noptions:\n  -h, --help            show this help message and exit\n")
	for _, o := range c.opts {
		flag := "--" + o.name
		if o.value {
			flag += " " + strings.ToUpper(strings.ReplaceAll(o.name, "-", "_"))
		}
		if len(flag) > 21 {
			fmt.Fprintf(&b, "  %s\n  %-21s %s\n", flag, "", o.help)
		} else {
			fmt.Fprintf(&b, "  %-21s %s\n", flag, o.help)
		}
	}
	return b.String()
}
