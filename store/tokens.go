package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// Tokens are stored as SHA-256 hashes only; a token is shown once, when it
// is made.
const tokenPrefix = "fxe_"

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// AddToken makes a token for a city (city set) or a reviewer (reviewer set),
// stores its hash and returns the token: the only time it is seen.
func (s *Store) AddToken(ctx context.Context, city, reviewer string, now time.Time) (string, error) {
	role := flexemp.RoleCity
	switch {
	case city != "" && reviewer != "":
		return "", errors.New("a token is for a city or a reviewer, not both")
	case city != "":
		if _, ok := flexemp.CityByCode(city); !ok {
			return "", flexemp.Errorf(flexemp.EINVALID, "未知的城市代码：%q", city)
		}
	case strings.TrimSpace(reviewer) != "":
		role = flexemp.RoleReviewer
	default:
		return "", errors.New("a token needs a city or a reviewer")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	var c, r any
	if role == flexemp.RoleCity {
		c = city
	} else {
		r = strings.TrimSpace(reviewer)
	}
	err := s.Write(func() error {
		_, err := s.db.ExecContext(ctx, `INSERT INTO tokens SELECT coalesce(max(token_id), 0) + 1, ?, ?, ?, ?, ?, NULL FROM tokens`,
			hashToken(token), role, c, r, now)
		return errors.Join(err, s.audit(ctx, "token.add", role+" "+city+strings.TrimSpace(reviewer), err))
	})
	return token, err
}

// RevokeTokens revokes every live token of a city or a reviewer and says how
// many there were.
func (s *Store) RevokeTokens(ctx context.Context, city, reviewer string, now time.Time) (n int64, err error) {
	err = s.Write(func() error {
		res, err := s.db.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE revoked_at IS NULL
			AND ((? <> '' AND city_code = ?) OR (? <> '' AND reviewer = ?))`, now, city, city, reviewer, reviewer)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return errors.Join(err, s.audit(ctx, "token.revoke", fmt.Sprintf("%s%s: %d", city, reviewer, n), err))
	})
	return n, err
}

// LookupToken finds the live token's principal; ok is false for an unknown
// or revoked token.
func (s *Store) LookupToken(ctx context.Context, token string) (flexemp.Principal, bool, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 100 {
		return flexemp.Principal{}, false, nil
	}
	h := hashToken(token)
	var p flexemp.Principal
	var stored string
	var city, reviewer sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT token_id, hash, role, city_code, reviewer FROM tokens WHERE hash = ? AND revoked_at IS NULL`, h).
		Scan(&p.TokenID, &stored, &p.Role, &city, &reviewer)
	if errors.Is(err, sql.ErrNoRows) {
		return flexemp.Principal{}, false, nil
	}
	if err != nil {
		return flexemp.Principal{}, false, err
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(h)) != 1 {
		return flexemp.Principal{}, false, nil
	}
	p.City, p.Reviewer = city.String, reviewer.String
	return p, true, nil
}

// TokenLive tells whether a token is still live (neither revoked nor
// unknown): a page session is only as good as the token it was opened
// with, so every page request asks.
func (s *Store) TokenLive(ctx context.Context, id int64) (bool, error) {
	var live bool
	err := s.db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM tokens WHERE token_id = ? AND revoked_at IS NULL`, id).Scan(&live)
	return live, err
}

// TokenInfo is what is known of a token besides the token itself: never
// the token, which is not kept.
type TokenInfo struct {
	ID       int64      `json:"id"`
	Role     string     `json:"role"`
	City     string     `json:"city,omitempty"`
	Reviewer string     `json:"reviewer,omitempty"`
	Created  time.Time  `json:"created_at"`
	Revoked  *time.Time `json:"revoked_at,omitempty"`
}

// ListTokens lists every token, live and revoked, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]TokenInfo, error) {
	if err := s.Audit(ctx, "token.list", "", nil); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT token_id, role, coalesce(city_code, ''), coalesce(reviewer, ''), created_at, revoked_at
		FROM tokens ORDER BY token_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TokenInfo
	for rows.Next() {
		var t TokenInfo
		var revoked sql.NullTime
		if err := rows.Scan(&t.ID, &t.Role, &t.City, &t.Reviewer, &t.Created, &revoked); err != nil {
			return nil, err
		}
		if revoked.Valid {
			t.Revoked = &revoked.Time
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
