package function

import (
	"os/exec"
	"syscall"
)

// configureCommand puts the function process in a process group of its own, so that Ctrl-C in
// the terminal reaches only the local stack, which then stops its functions in order. It
// also sets the parent-death signal, so Linux kills the process when the local stack dies
// without stopping it, such as after SIGKILL, and no function outlives the stack.
//
// NOTE: the parent-death signal follows the OS thread that started the process, not the whole
// Go process. The Go runtime keeps such threads alive unless a goroutine locked to one exits,
// which this program never does.
func configureCommand(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
