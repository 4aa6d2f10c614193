package scaffold

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Permissions of the written files and folders: they are source files committed to the
// repository, readable by everyone like the rest of it.
const (
	dirMode  fs.FileMode = 0o755
	fileMode fs.FileMode = 0o644
)

// writeFiles creates the function's folder and writes files, none of which may exist. It
// returns the paths it created, folder included, so that undo can remove them even when it
// fails halfway.
func (r *runner) writeFiles(name string, files []file) ([]string, error) {
	var created []string
	dir := "functions/" + name
	if err := os.Mkdir(r.abs(dir), dirMode); err != nil {
		return created, fmt.Errorf("create %s: %w", dir, err)
	}
	created = append(created, dir)

	for _, f := range files {
		r.logf("writing %s", f.path)
		if err := writeNew(r.abs(f.path), f.content); err != nil {
			return created, err
		}
		created = append(created, f.path)
	}
	return created, nil
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, content []byte) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer func() {
		if closeErr := f.Close(); err == nil && closeErr != nil {
			err = fmt.Errorf("write %s: %w", path, closeErr)
		}
	}()
	if _, err := f.Write(content); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// undo removes the paths Run created, in reverse order, and restores the plans.
func (r *runner) undo(created []string, plans *dirSnapshot) error {
	var errs []error
	for _, p := range slices.Backward(created) {
		r.logf("removing %s", p)
		if err := os.RemoveAll(r.abs(p)); err != nil {
			errs = append(errs, err)
		}
	}
	r.logf("restoring %s", PlanDir)
	if err := plans.restore(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// dirSnapshot records the regular files under a folder, so that the folder can be compared
// with and restored to that state.
type dirSnapshot struct {
	root    string
	existed bool
	files   map[string]snapshotFile
}

type snapshotFile struct {
	content []byte
	mode    fs.FileMode
}

func snapshotDir(root string) (*dirSnapshot, error) {
	s := &dirSnapshot{root: root, files: map[string]snapshotFile{}}
	info, err := os.Stat(root)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, err
	case !info.IsDir():
		return nil, fmt.Errorf("%s is not a folder", root)
	}
	s.existed = true

	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		s.files[path] = snapshotFile{content: content, mode: info.Mode().Perm()}
		return nil
	})
	return s, err
}

// changes returns the paths of the files created, changed or removed since the snapshot.
func (s *dirSnapshot) changes() ([]string, error) {
	now, err := snapshotDir(s.root)
	if err != nil {
		return nil, err
	}
	var changed []string
	for path, f := range now.files {
		if old, ok := s.files[path]; !ok || !bytes.Equal(old.content, f.content) {
			changed = append(changed, path)
		}
	}
	for path := range s.files {
		if _, ok := now.files[path]; !ok {
			changed = append(changed, path)
		}
	}
	slices.Sort(changed)
	return changed, nil
}

// restore puts the folder back as recorded: files written since are removed, changed or
// removed files get their recorded content and mode back, and a folder that did not exist is
// removed.
func (s *dirSnapshot) restore() error {
	if !s.existed {
		if err := os.RemoveAll(s.root); err != nil {
			return fmt.Errorf("remove %s: %w", s.root, err)
		}
		return nil
	}

	var errs []error
	err := filepath.WalkDir(s.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if _, ok := s.files[path]; !ok && !d.IsDir() {
			errs = append(errs, os.Remove(path))
		}
		return nil
	})
	errs = append(errs, err)

	for path, f := range s.files {
		current, err := os.ReadFile(path)
		if err == nil && bytes.Equal(current, f.content) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := os.WriteFile(path, f.content, f.mode); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, os.Chmod(path, f.mode))
	}
	return errors.Join(errs...)
}
