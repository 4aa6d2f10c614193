package function

import (
	"os/exec"
	"syscall"
)

// configureCommand asks Linux to kill the function process when the local stack dies without
// stopping it, such as after SIGKILL, so no function outlives the stack.
//
// NOTE: the signal follows the OS thread that started the process, not the whole Go process.
// The Go runtime keeps such threads alive unless a goroutine locked to one exits, which this
// program never does.
func configureCommand(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
