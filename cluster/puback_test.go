package cluster

import (
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

func TestParsePubAck(t *testing.T) {
	for ok, want := range map[string]uint64{
		`{"stream":"MULTITASK_RESULTS","seq":3}`:                   3,
		`{"stream":"MULTITASK_RESULTS","seq":31,"duplicate":true}`: 31,
		`{"stream":"MULTITASK_RESULTS", "domain":"hub","seq":4}`:   4,
		`{"stream":"MULTITASK_RESULTS", "seq": 5}`:                 5, // spaced: decoded
	} {
		if seq, err := parsePubAck([]byte(ok)); err != nil || seq != want {
			t.Errorf("%s: %d, %v, want a PubAck of %d", ok, seq, err, want)
		}
	}
	var api *jetstream.APIError
	full := `{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}`
	if err := pubAckErr([]byte(full)); !errors.As(err, &api) || api.ErrorCode != 10077 {
		t.Errorf("%s: %v, want its APIError", full, err)
	}
	withStream := `{"stream":"S","error":{"code":400,"err_code":10060,"description":"expected stream does not match"}}`
	if err := pubAckErr([]byte(withStream)); !errors.As(err, &api) || api.ErrorCode != 10060 {
		t.Errorf("%s: %v, want its APIError", withStream, err)
	}
	for _, bad := range []string{``, `garbage`, `{"seq":1}`, `{}`} {
		if err := pubAckErr([]byte(bad)); err == nil {
			t.Errorf("%q taken for a PubAck", bad)
		}
	}
}

func pubAckErr(data []byte) error {
	_, err := parsePubAck(data)
	return err
}
