package testfiles

import (
	"database/sql"
	"fmt"

	"github.com/liaoning-hrss/flexemp"
)

// Whole checks that every upload in db is whole — its stored rows are its
// accepted count, and it has its accepted record on the audit trail — and
// that no row belongs to no upload. It returns how many uploads are stored
// and what it found broken.
func Whole(db *sql.DB) (uploads int, broken []string, err error) {
	var records int
	if err := db.QueryRow(`SELECT count(*) FROM uploads`).Scan(&uploads); err != nil {
		return 0, nil, err
	}
	if err := db.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'upload' AND object LIKE '%(accepted)'`).Scan(&records); err != nil {
		return 0, nil, err
	}
	if records != uploads {
		broken = append(broken, fmt.Sprintf("%d uploads, %d accepted uploads on the audit trail", uploads, records))
	}
	for _, kind := range flexemp.Kinds {
		var short, orphans int
		if err := db.QueryRow(fmt.Sprintf(`SELECT count(*) FROM uploads u WHERE kind = '%s'
			AND accepted <> (SELECT count(*) FROM %s r WHERE r.upload_id = u.upload_id)`, kind, kind)).Scan(&short); err != nil {
			return 0, nil, err
		}
		if err := db.QueryRow(fmt.Sprintf(`SELECT count(*) FROM %s WHERE upload_id NOT IN (SELECT upload_id FROM uploads)`, kind)).Scan(&orphans); err != nil {
			return 0, nil, err
		}
		if short+orphans > 0 {
			broken = append(broken, fmt.Sprintf("%d %s uploads not whole, %d rows of no upload", short, kind, orphans))
		}
	}
	return uploads, broken, nil
}
