package trust

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// MarksFile is the high-water marks' file in a verifier's state folder.
const MarksFile = "marks.json"

// ReadMarks reads the marks kept in the state folder dir; a folder
// without marks (a verifier's first start) gives zero marks. A marks file
// that does not parse is an error: the verifier then refuses every
// snapshot rather than forget what it has seen.
func ReadMarks(dir string) (Marks, error) {
	var m Marks
	b, err := readLimited(filepath.Join(dir, MarksFile), 1<<20)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, &Refusal{Reason: ReasonState, Err: err}
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		return m, &Refusal{Reason: ReasonState, Err: fmt.Errorf("%s: %v", MarksFile, err)}
	}
	return m, nil
}

// WriteMarks keeps m in the state folder dir, through a temporary file,
// fsync and a rename, so that a crash leaves the old marks or the new.
func WriteMarks(dir string, m Marks) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return record.WriteFileAtomic(filepath.Join(dir, MarksFile), append(b, '\n'), 0o600)
}
