package cluster

import (
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

func TestPubAckError(t *testing.T) {
	for _, ok := range []string{
		`{"stream":"MULTITASK_RESULTS","seq":3}`,
		`{"stream":"MULTITASK_RESULTS","seq":3,"duplicate":true}`,
		`{"stream":"MULTITASK_RESULTS", "domain":"hub","seq":4}`,
	} {
		if err := pubAckError([]byte(ok)); err != nil {
			t.Errorf("%s: %v, want a PubAck", ok, err)
		}
	}
	var api *jetstream.APIError
	full := `{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}`
	if err := pubAckError([]byte(full)); !errors.As(err, &api) || api.ErrorCode != 10077 {
		t.Errorf("%s: %v, want its APIError", full, err)
	}
	withStream := `{"stream":"S","error":{"code":400,"err_code":10060,"description":"expected stream does not match"}}`
	if err := pubAckError([]byte(withStream)); !errors.As(err, &api) || api.ErrorCode != 10060 {
		t.Errorf("%s: %v, want its APIError", withStream, err)
	}
	for _, bad := range []string{``, `garbage`, `{"seq":1}`, `{}`} {
		if err := pubAckError([]byte(bad)); err == nil {
			t.Errorf("%q taken for a PubAck", bad)
		}
	}
}
