//go:build linux

package mp

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/multitask-go/multitask/mp/internal/launch"
)

// envRightsEMFILE makes TestRightsReaderOutOfDescriptors run its check in
// a process of its own, as it lowers the limit on descriptors.
const envRightsEMFILE = "MP_TEST_RIGHTS_EMFILE"

// Descriptors the kernel drops because the receiver has none free are
// reported as such (EMFILE), and those that did arrive are closed, not
// leaked.
func TestRightsReaderOutOfDescriptors(t *testing.T) {
	if os.Getenv(envRightsEMFILE) != "" {
		if err := receiveWithOneFree(); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("ok")
		os.Exit(0)
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRightsReaderOutOfDescriptors$")
	cmd.Env = append(os.Environ(), envRightsEMFILE+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ok\n") {
		t.Fatalf("%v; it printed:\n%s", err, out)
	}
}

// receiveWithOneFree receives three descriptors while this process has
// room for one.
func receiveWithOneFree() error {
	a, b, err := launch.SocketPair()
	if err != nil {
		return err
	}
	defer a.Close()
	defer b.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer null.Close()
	rights, err := launch.NewRightsReader(b)
	if err != nil {
		return err
	}
	release, err := exhaustDescriptors(1)
	if err != nil {
		return err
	}
	defer release()

	if err := launch.SendWithFiles(a, []byte{1}, []*os.File{null, null, null}); err != nil {
		return err
	}
	var p [1]byte
	if _, err := rights.Read(p[:]); !errors.Is(err, syscall.EMFILE) {
		return fmt.Errorf("Read = %v, want an error matching EMFILE", err)
	}
	fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("the descriptor that did arrive was kept: %w", err)
	}
	syscall.Close(fd)
	return nil
}
