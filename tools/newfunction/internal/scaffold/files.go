package scaffold

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
)

// Permissions of the written files and folders: they are source files committed to the
// repository, readable by everyone like the rest of it.
const (
	dirMode  fs.FileMode = 0o755
	fileMode fs.FileMode = 0o644
)

// Every file operation below goes through an os.Root opened on the repository root, so a
// symbolic link inside the repository cannot make Run write, restore or remove a file outside
// it.

// writeFiles creates the function's folder and writes files, none of which may exist. It
// returns the paths it created, folder included, so that undo can remove them even when it
// fails halfway.
func (r *runner) writeFiles(name string, files []file) ([]string, error) {
	var created []string
	dir := "functions/" + name
	if err := r.repo.Mkdir(dir, dirMode); err != nil {
		return created, fmt.Errorf("create %s: %w", dir, err)
	}
	created = append(created, dir)

	for _, f := range files {
		r.logf("writing %s", f.path)
		if err := r.writeNew(f.path, f.content); err != nil {
			return created, err
		}
		created = append(created, f.path)
	}
	return created, nil
}

// writeNew writes a file that must not exist yet.
func (r *runner) writeNew(name string, content []byte) (err error) {
	f, err := r.repo.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	defer func() {
		if closeErr := f.Close(); err == nil && closeErr != nil {
			err = fmt.Errorf("write %s: %w", name, closeErr)
		}
	}()
	if _, err := f.Write(content); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// undo removes the paths Run created, in reverse order, and restores the plans.
func (r *runner) undo(created []string, plans *dirSnapshot) error {
	var errs []error
	for _, p := range slices.Backward(created) {
		r.logf("removing %s", p)
		if err := r.repo.RemoveAll(p); err != nil {
			errs = append(errs, err)
		}
	}
	r.logf("restoring %s", PlanDir)
	if err := plans.restore(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// dirSnapshot records the folders and regular files under a folder of the repository, so that
// the folder can be compared with and restored to that state.
type dirSnapshot struct {
	repo    *os.Root
	dir     string
	existed bool
	// files maps paths relative to the repository root, with slashes, to their state.
	files map[string]snapshotFile
	// dirs holds the paths of the folders under dir, dir included.
	dirs map[string]bool
}

type snapshotFile struct {
	content []byte
	mode    fs.FileMode
}

func snapshotDir(repo *os.Root, dir string) (*dirSnapshot, error) {
	s := &dirSnapshot{repo: repo, dir: dir, files: map[string]snapshotFile{}, dirs: map[string]bool{}}
	info, err := repo.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, err
	case !info.IsDir():
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	s.existed = true

	err = fs.WalkDir(repo.FS(), dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			s.dirs[name] = true
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		content, err := repo.ReadFile(name)
		if err != nil {
			return err
		}
		s.files[name] = snapshotFile{content: content, mode: info.Mode().Perm()}
		return nil
	})
	return s, err
}

// readFile returns the current state of the file name.
func (s *dirSnapshot) readFile(name string) (snapshotFile, error) {
	info, err := s.repo.Lstat(name)
	if err != nil {
		return snapshotFile{}, err
	}
	if !info.Mode().IsRegular() {
		return snapshotFile{}, fmt.Errorf("%s is no longer a regular file", name)
	}
	content, err := s.repo.ReadFile(name)
	return snapshotFile{content: content, mode: info.Mode().Perm()}, err
}

// changes returns the paths of the files created, changed or removed since the snapshot.
func (s *dirSnapshot) changes() ([]string, error) {
	now, err := snapshotDir(s.repo, s.dir)
	if err != nil {
		return nil, err
	}
	var changed []string
	for name, f := range now.files {
		if old, ok := s.files[name]; !ok || !old.equal(f) {
			changed = append(changed, name)
		}
	}
	for name := range s.files {
		if _, ok := now.files[name]; !ok {
			changed = append(changed, name)
		}
	}
	slices.Sort(changed)
	return changed, nil
}

func (f snapshotFile) equal(other snapshotFile) bool {
	return f.mode == other.mode && bytes.Equal(f.content, other.content)
}

// restore puts the folder back as recorded: files and folders created since are removed, and
// changed or removed files get their recorded content and mode back.
func (s *dirSnapshot) restore() error {
	if !s.existed {
		if err := s.repo.RemoveAll(s.dir); err != nil {
			return fmt.Errorf("remove %s: %w", s.dir, err)
		}
		return nil
	}

	var errs []error
	var added []string
	err := fs.WalkDir(s.repo.FS(), s.dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && !s.dirs[name] {
			// A new folder holds only new entries: remove it whole.
			added = append(added, name)
			return fs.SkipDir
		}
		if _, ok := s.files[name]; !ok && !d.IsDir() {
			added = append(added, name)
		}
		return nil
	})
	errs = append(errs, err)
	for _, name := range added {
		errs = append(errs, s.repo.RemoveAll(name))
	}

	for name := range s.dirs {
		errs = append(errs, s.repo.MkdirAll(name, dirMode))
	}
	for name, f := range s.files {
		if current, err := s.readFile(name); err == nil && current.equal(f) {
			continue
		}
		// Remove what is there first, so that a symbolic link put in the file's place is
		// replaced rather than written through.
		if err := s.repo.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		if err := s.repo.MkdirAll(path.Dir(name), dirMode); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := s.repo.WriteFile(name, f.content, f.mode); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, s.repo.Chmod(name, f.mode))
	}
	return errors.Join(errs...)
}
