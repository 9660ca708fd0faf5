package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// parseWithProfiles parses the command line args with the options GNU
// parallel takes from elsewhere before them: those of its profile files
// (--profile NAME, or by default its config files), then those of
// $PARALLEL, each split as a shell splits words. --plain reads none. It
// returns the options and the whole line. Profiles are read, never
// written: nothing is kept in the home directory.
func parseWithProfiles(args []string) (*options, []string, error) {
	o, err := parseOptions(args)
	if err != nil || o.plain {
		return o, args, err
	}
	var words []string
	for _, p := range profileFiles(o.profiles) {
		w, err := readProfile(p)
		if err != nil {
			return nil, nil, err
		}
		words = append(words, w...)
	}
	if env := os.Getenv("PARALLEL"); env != "" {
		w, err := shellWords(env)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: $PARALLEL: %v", errUsage, err)
		}
		words = append(words, w...)
	}
	if len(words) == 0 {
		return o, args, nil // parsed once, as most runs are
	}
	args = slices.Concat(words, args)
	o, err = parseOptions(args)
	return o, args, err
}

// profileFiles are the profiles to read, as GNU parallel finds them: each
// NAME of --profile in every configuration directory that holds it (a
// NAME starting with / or ./ is a path), or else its config files, those
// that exist.
func profileFiles(names []string) []string {
	dirs := configDirs()
	var files []string
	if len(names) == 0 {
		files = append(files, "/etc/parallel/config")
		for _, d := range dirs {
			files = append(files, filepath.Join(d, "config"))
		}
		files = append(files, filepath.Join(os.Getenv("HOME"), ".parallelrc"))
	}
	for _, n := range names {
		if strings.HasPrefix(n, "/") || strings.HasPrefix(n, "./") {
			files = append(files, n)
			continue
		}
		for _, d := range dirs {
			files = append(files, filepath.Join(d, n))
		}
	}
	return slices.DeleteFunc(files, func(f string) bool {
		fi, err := os.Stat(f)
		return err != nil || fi.IsDir()
	})
}

// configDirs are GNU parallel's configuration directories that exist:
// $PARALLEL_HOME, $XDG_CONFIG_HOME/parallel, those of $XDG_CONFIG_DIRS,
// then ~/.parallel.
func configDirs() []string {
	dirs := []string{os.Getenv("PARALLEL_HOME")}
	for _, d := range append([]string{os.Getenv("XDG_CONFIG_HOME")}, strings.Split(os.Getenv("XDG_CONFIG_DIRS"), ":")...) {
		if d != "" {
			dirs = append(dirs, filepath.Join(d, "parallel"))
		}
	}
	dirs = append(dirs, filepath.Join(os.Getenv("HOME"), ".parallel"))
	return slices.DeleteFunc(dirs, func(d string) bool {
		fi, err := os.Stat(d)
		return d == "" || err != nil || !fi.IsDir()
	})
}

// readProfile reads the words of a profile: each line split as a shell
// splits it, but for lines that start with #.
func readProfile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s not readable: %v", errUsage, path, err)
	}
	defer f.Close()
	var words []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		w, err := shellWords(line)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errUsage, path, err)
		}
		words = append(words, w...)
	}
	return words, sc.Err()
}

// shellWords splits s into words as GNU parallel does, with Perl's
// Text::ParseWords: at unquoted blanks, a \ quoting the byte after it,
// and quotes in which a \ also quotes the byte after it (in '...' only
// \\ and \' lose their \). Nothing is expanded.
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ', '\t', '\n':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
			continue
		case '\\':
			if i+1 < len(s) {
				i++
				w.WriteByte(s[i])
			}
		case '\'', '"':
			for i++; i < len(s) && s[i] != c; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					if next := s[i+1]; c == '"' || next == '\\' || next == '\'' {
						i++
					} else {
						w.WriteByte(s[i])
						i++
					}
				}
				w.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("a %c is not closed", c)
			}
		default:
			w.WriteByte(c)
		}
		inWord = true
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}
