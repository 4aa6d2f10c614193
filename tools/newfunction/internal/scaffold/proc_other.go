//go:build !unix

package scaffold

import "os/exec"

// killGroupOnCancel leaves the default: a cancelled context kills the direct child only.
//
// NOTE: on systems without process groups, children of an interrupted command may outlive it.
func killGroupOnCancel(*exec.Cmd) {}
