package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func hello(magic string, version byte, n uint32, token string) []byte {
	b := append([]byte(magic), version, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	return append(b, token...)
}

func TestHello(t *testing.T) {
	t.Parallel()
	good := func(token []byte) []byte {
		var buf bytes.Buffer
		if err := WriteHello(&buf, token); err != nil {
			panic(err)
		}
		return buf.Bytes()
	}
	tests := []struct {
		name     string
		data     []byte
		maxToken int
		want     string // the token; or, with err, a part of the message
		err      error  // besides ErrHandshake
		fail     bool
	}{
		{name: "good", data: good([]byte("secret")), want: "secret"},
		{name: "same bytes by hand", data: hello("MTSK", 1, 6, "secret"), want: "secret"},
		{name: "empty token", data: good(nil), want: ""},
		{name: "token at the limit", data: good([]byte("1234")), maxToken: 4, want: "1234"},
		{name: "default limit", data: good(make([]byte, MaxTokenDefault)), want: string(make([]byte, MaxTokenDefault))},
		{name: "bad magic", data: hello("HTTP", 1, 0, ""), fail: true, want: `magic bytes "HTTP", want "MTSK"`},
		{name: "bad version", data: hello("MTSK", 2, 0, ""), fail: true, want: "version 2, want 1"},
		{name: "token too long", data: good([]byte("12345")), maxToken: 4, fail: true, want: "token of 5 bytes, limit 4"},
		{name: "token over the default", data: hello("MTSK", 1, MaxTokenDefault+1, ""), fail: true, want: "limit 4096"},
		{name: "huge token length", data: hello("MTSK", 1, 1<<32-1, ""), fail: true, want: "limit"},
		{name: "empty stream", data: nil, fail: true, err: io.EOF},
		{name: "cut in the magic", data: []byte("MT"), fail: true, err: io.ErrUnexpectedEOF},
		{name: "cut before the version", data: []byte("MTSK"), fail: true, err: io.ErrUnexpectedEOF},
		{name: "cut in the length", data: hello("MTSK", 1, 3, "")[:7], fail: true, err: io.ErrUnexpectedEOF},
		{name: "cut in the token", data: hello("MTSK", 1, 3, "ab"), fail: true, err: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := bytes.NewReader(append(tt.data, "frames follow"...))
			if tt.fail {
				r = bytes.NewReader(tt.data)
			}
			token, err := ReadHello(r, tt.maxToken)
			if !tt.fail {
				if err != nil {
					t.Fatal(err)
				}
				if string(token) != tt.want {
					t.Fatalf("token %q, want %q", token, tt.want)
				}
				if rest, _ := io.ReadAll(r); string(rest) != "frames follow" {
					t.Fatalf("ReadHello consumed more than the hello: %q left", rest)
				}
				return
			}
			if !errors.Is(err, ErrHandshake) {
				t.Fatalf("error %v, want ErrHandshake", err)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "wire: ") {
				t.Fatalf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// A peer that sends the wrong magic is refused at once, without waiting for
// the rest of a hello.
func TestHelloRefusesEarly(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	defer pr.Close()
	go func() {
		pw.Write([]byte("GET ")) // then nothing more, and no close
	}()
	if _, err := ReadHello(pr, 0); !errors.Is(err, ErrHandshake) {
		t.Fatalf("error %v, want ErrHandshake", err)
	}
}
