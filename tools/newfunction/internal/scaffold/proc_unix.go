//go:build unix

package scaffold

import (
	"os/exec"
	"syscall"
)

// killGroupOnCancel starts cmd in its own process group and makes a cancelled context kill the
// whole group. The commands Run starts have children of their own: make starts go run, which
// starts the plan program. Killing only the direct child would leave them writing plan files
// after Run restored them.
func killGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
