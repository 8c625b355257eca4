package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// Roles of a token.
const (
	RoleCity     = "city"
	RoleReviewer = "reviewer"
)

// Principal is who a request acts for.
type Principal struct {
	TokenID  int64
	Role     string
	City     string // a city token's city code
	Reviewer string // a reviewer token's holder
}

// CanRead tells whether the principal may see a city's data: a reviewer
// every city's, a city its own.
func (p Principal) CanRead(city string) bool {
	return p.Role == RoleReviewer || p.Role == RoleCity && p.City == city
}

// Label names the principal in logs and the ledger, never with the token.
func (p Principal) Label() string {
	if p.Role == RoleCity {
		return "city:" + p.City
	}
	return "reviewer:" + p.Reviewer
}

// DisplayName is the principal as pages greet it.
func (p Principal) DisplayName() string {
	if p.Role == RoleCity {
		c, _ := flexemp.CityByCode(p.City)
		return c.Name
	}
	return p.Reviewer + "（审核）"
}

const tokenPrefix = "fxe_"

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// AddToken makes a token for a city (city set) or a reviewer (reviewer set),
// stores its hash and returns the token: the only time it is seen.
func AddToken(ctx context.Context, db *sql.DB, city, reviewer string, now time.Time) (string, error) {
	role := RoleCity
	switch {
	case city != "" && reviewer != "":
		return "", errors.New("a token is for a city or a reviewer, not both")
	case city != "":
		if _, ok := flexemp.CityByCode(city); !ok {
			return "", flexemp.Errorf(flexemp.EINVALID, "未知的城市代码：%q", city)
		}
	case strings.TrimSpace(reviewer) != "":
		role = RoleReviewer
	default:
		return "", errors.New("a token needs a city or a reviewer")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	var c, r any
	if role == RoleCity {
		c = city
	} else {
		r = strings.TrimSpace(reviewer)
	}
	_, err := db.ExecContext(ctx, `INSERT INTO tokens SELECT coalesce(max(token_id), 0) + 1, ?, ?, ?, ?, ?, NULL FROM tokens`,
		hashToken(token), role, c, r, now)
	return token, err
}

// RevokeTokens revokes every live token of a city or a reviewer and says how
// many there were.
func RevokeTokens(ctx context.Context, db *sql.DB, city, reviewer string, now time.Time) (int64, error) {
	res, err := db.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE revoked_at IS NULL
		AND ((? <> '' AND city_code = ?) OR (? <> '' AND reviewer = ?))`, now, city, city, reviewer, reviewer)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// lookupToken finds the live token's principal; ok is false for an unknown
// or revoked token.
func lookupToken(ctx context.Context, db *sql.DB, token string) (Principal, bool, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 100 {
		return Principal{}, false, nil
	}
	h := hashToken(token)
	var p Principal
	var stored string
	var city, reviewer sql.NullString
	err := db.QueryRowContext(ctx, `SELECT token_id, hash, role, city_code, reviewer FROM tokens WHERE hash = ? AND revoked_at IS NULL`, h).
		Scan(&p.TokenID, &stored, &p.Role, &city, &reviewer)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, false, nil
	}
	if err != nil {
		return Principal{}, false, err
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(h)) != 1 {
		return Principal{}, false, nil
	}
	p.City, p.Reviewer = city.String, reviewer.String
	return p, true, nil
}
