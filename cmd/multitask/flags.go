package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// A flagSet parses options as GNU parallel's Perl parser does with
// bundling and require_order: short options cluster (-kj2, -j 2), long
// ones take --name=value or --name value, in any case and abbreviated to
// any prefix that names one option (see long), and the first argument
// that is not an option, or --, ends them. It is written here rather than
// taken from a library because the usual ones pull in package net, and
// with it dynamic linking and milliseconds of start-up for every run.
type flagSet struct {
	flags   []*flag
	byLong  map[string]*flag
	byShort map[byte]*flag
	groups  []flagGroup
}

type flagGroup struct {
	title string
	flags []*flag
}

// A flag is one option and the variable it sets.
type flag struct {
	long    string
	aliases []string // more long names
	short   byte
	shorts  []byte             // more short names
	set     func(string) error // nil for booleans
	setBool func()
	arg     string // the value's name in --help; "" for booleans
	// optional marks a value that may be left out, as GNU's -i: it is then
	// "" (see parse); numeric, one that must be a number to be taken from
	// the next argument, as GNU's -l.
	optional, numeric bool
	usage             string
	changed           bool
}

func newFlags() *flagSet {
	return &flagSet{byLong: map[string]*flag{}, byShort: map[byte]*flag{}}
}

// group starts a titled group in --help; later flags belong to it.
func (fs *flagSet) group(title string) {
	fs.groups = append(fs.groups, flagGroup{title: title})
}

// add declares f; a flag without a long name has only its short one.
func (fs *flagSet) add(f *flag) *flag {
	fs.flags = append(fs.flags, f)
	if f.long != "" {
		fs.byLong[f.long] = f
	}
	if f.short != 0 {
		fs.byShort[f.short] = f
	}
	if n := len(fs.groups); n > 0 {
		fs.groups[n-1].flags = append(fs.groups[n-1].flags, f)
	}
	return f
}

// addHidden declares f for the parser alone: --help and the shell
// completions leave it out.
func (fs *flagSet) addHidden(f *flag) {
	if f.long != "" {
		fs.byLong[f.long] = f
	}
	if f.short != 0 {
		fs.byShort[f.short] = f
	}
}

// alias gives the flag named long more names, as GNU parallel knows it
// by: a name of one character is a short one.
func (fs *flagSet) alias(long string, aliases ...string) {
	f := fs.byLong[long]
	for _, a := range aliases {
		if len(a) == 1 {
			f.shorts = append(f.shorts, a[0])
			fs.byShort[a[0]] = f
			continue
		}
		f.aliases = append(f.aliases, a)
		fs.byLong[a] = f
	}
}

func (fs *flagSet) boolVar(p *bool, long string, short byte, usage string) {
	fs.add(&flag{long: long, short: short, usage: usage, setBool: func() { *p = true }})
}

func (fs *flagSet) stringVar(p *string, long string, short byte, arg, usage string) {
	fs.add(&flag{long: long, short: short, arg: arg, usage: usage, set: func(s string) error { *p = s; return nil }})
}

// optStringVar declares a flag whose value may be left out: it then sets
// def.
func (fs *flagSet) optStringVar(p *string, long string, short byte, arg, def, usage string) *flag {
	return fs.add(&flag{long: long, short: short, arg: arg, usage: usage, optional: true, set: func(s string) error {
		*p = cmp.Or(s, def)
		return nil
	}})
}

func (fs *flagSet) stringsVar(p *[]string, long string, short byte, arg, usage string) {
	fs.add(&flag{long: long, short: short, arg: arg, usage: usage, set: func(s string) error { *p = append(*p, s); return nil }})
}

func (fs *flagSet) intVar(p *int, long string, short byte, arg, usage string) {
	fs.add(&flag{long: long, short: short, arg: arg, usage: usage, set: func(s string) error {
		v, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		*p = v
		return nil
	}})
}

// changed reports whether the flag named long was given.
func (fs *flagSet) changed(long string) bool { return fs.byLong[long].changed }

// parse sets the flags from args and returns the arguments after them.
func (fs *flagSet) parse(args []string) ([]string, error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return args[i+1:], nil
		case strings.HasPrefix(a, "--"):
			name, value, hasValue := strings.Cut(a[2:], "=")
			f, err := fs.long(name)
			if err != nil {
				return nil, err
			}
			f.changed = true
			if f.set == nil {
				if hasValue {
					return nil, fmt.Errorf("option --%s takes no value", name)
				}
				f.setBool()
				continue
			}
			if !hasValue {
				if value, err = f.next(args, &i, "--"+name); err != nil {
					return nil, err
				}
			}
			if err := f.set(value); err != nil {
				return nil, fmt.Errorf("option --%s: %v", name, err)
			}
		case len(a) > 1 && a[0] == '-':
			// A cluster of short options; one that takes a value takes the
			// rest of the cluster, or the next argument.
			for j := 1; j < len(a); j++ {
				f := fs.byShort[a[j]]
				if f == nil {
					return nil, fmt.Errorf("unknown option: -%c", a[j])
				}
				f.changed = true
				if f.set == nil {
					f.setBool()
					continue
				}
				value := a[j+1:]
				if value == "" {
					var err error
					if value, err = f.next(args, &i, "-"+a[j:j+1]); err != nil {
						return nil, err
					}
				}
				if err := f.set(value); err != nil {
					return nil, fmt.Errorf("option -%c: %v", a[j], err)
				}
				break
			}
		default:
			return args[i:], nil
		}
	}
	return nil, nil
}

// next takes f's value from the argument after args[*i], given as opt:
// the value of an option that may be left out only when the argument does
// not look like an option, as in GNU's parser (so -i takes the command's
// first word, as GNU's does).
func (f *flag) next(args []string, i *int, opt string) (string, error) {
	switch {
	case *i+1 == len(args):
		if f.optional {
			return "", nil
		}
		return "", fmt.Errorf("option %s needs a value", opt)
	case f.optional && args[*i+1] != "-" && strings.HasPrefix(args[*i+1], "-"):
		return "", nil
	case f.numeric:
		if _, err := strconv.ParseFloat(args[*i+1], 64); err != nil {
			return "", nil
		}
	}
	*i++
	return args[*i], nil
}

// long finds the flag --name sets, as GNU parallel's parser finds an
// option: by its name, else by its name in another case, else by the one
// option whose names start with name in any case. GNU parallel's names
// (gnuOptions) are searched first, so that an abbreviation means here
// what it means there; then the names of options only multitask has.
func (fs *flagSet) long(name string) (*flag, error) {
	if f := fs.byLong[name]; f != nil {
		return f, nil
	}
	names, err := resolveOption(name, gnuOptions)
	if err == nil && names == nil {
		names, err = resolveOption(name, fs.longNames())
	}
	if err != nil {
		return nil, fmt.Errorf("option --%s is ambiguous (%v)", name, err)
	}
	for _, n := range names {
		if f := fs.byLong[n]; f != nil {
			return f, nil
		}
	}
	if len(names) == 1 && len(names[0]) == 1 {
		if f := fs.byShort[names[0][0]]; f != nil {
			return f, nil // GNU's options of one letter take -- too
		}
	}
	return nil, fmt.Errorf("unknown option: --%s", name)
}

// longNames lists the long names of the flags, each flag's as one option.
func (fs *flagSet) longNames() [][]string {
	var opts [][]string
	for _, f := range fs.flags {
		if f.long != "" {
			opts = append(opts, append([]string{f.long}, f.aliases...))
		}
	}
	return opts
}

// errAmbiguous lists the names an abbreviation starts, of more than one
// option, as GNU parallel's parser lists them.
type errAmbiguous []string

func (e errAmbiguous) Error() string { return strings.Join(e, ", ") }

// resolveOption returns the names of the option among opts that key
// names: one of its names, in this case or another, or the start of names
// of it alone. It returns nil when key starts no name, and an
// errAmbiguous when it starts names of several options.
func resolveOption(key string, opts [][]string) ([]string, error) {
	lower := strings.ToLower(key)
	for _, fold := range []bool{false, true} {
		for _, names := range opts {
			for _, n := range names {
				if n == key || fold && strings.ToLower(n) == lower {
					return names, nil
				}
			}
		}
	}
	var hits []string
	var hit []string
	found := 0
	for _, names := range opts {
		started := false
		for _, n := range names {
			if len(n) > 1 && strings.HasPrefix(strings.ToLower(n), lower) {
				hits = append(hits, n)
				started = true
			}
		}
		if started {
			hit = names
			found++
		}
	}
	if found > 1 {
		slices.Sort(hits)
		return nil, errAmbiguous(hits)
	}
	return hit, nil
}

// usage prints the flags by group, each with its short form, value and
// help text.
func (fs *flagSet) usage(w io.Writer) {
	for _, g := range fs.groups {
		if len(g.flags) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s:\n", g.title)
		for _, f := range g.flags {
			var b strings.Builder
			var names []string
			if f.short != 0 {
				names = append(names, "-"+string(f.short))
			}
			for _, c := range f.shorts {
				names = append(names, "-"+string(c))
			}
			if f.long != "" {
				names = append(names, "--"+f.long)
			}
			for _, a := range f.aliases {
				names = append(names, "--"+a)
			}
			indent := "  "
			if f.short == 0 {
				indent = "      "
			}
			var arg string
			switch {
			case f.optional:
				arg = "[=" + f.arg + "]"
			case f.arg != "":
				arg = " " + f.arg
			}
			// Names go on as many lines as they need, within 80 columns,
			// the value's name with the last.
			b.WriteString(indent)
			line := len(indent)
			for i, n := range names {
				if i == len(names)-1 {
					n += arg
				}
				if i > 0 {
					b.WriteString(",")
					line++
					if line+1+len(n) > 78 {
						b.WriteString("\n      ")
						line = 6
					} else {
						b.WriteString(" ")
						line++
					}
				}
				b.WriteString(n)
				line += len(n)
			}
			name := b.String()
			if i := strings.LastIndexByte(name, '\n'); i >= 0 {
				// The usage goes after the last line of names.
				fmt.Fprintf(w, "%s\n", name[:i])
				name = name[i+1:]
			}
			lines := wrap(f.usage, 80-32)
			if len(name) > 30 {
				fmt.Fprintf(w, "%s\n%32s%s\n", name, "", lines[0])
			} else {
				fmt.Fprintf(w, "%-32s%s\n", name, lines[0])
			}
			for _, l := range lines[1:] {
				fmt.Fprintf(w, "%32s%s\n", "", l)
			}
		}
		fmt.Fprintln(w)
	}
}

// wrap breaks text into lines of at most width bytes at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}
