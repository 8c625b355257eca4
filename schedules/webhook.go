package schedules

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/liaoning-hrss/flexemp/store"
)

// NotifyConfig is [notify]: where short summaries are posted besides mail.
type NotifyConfig struct {
	// WebhookURLs are group-robot webhooks (企业微信 or 钉钉), each posted
	// {"msgtype":"markdown","markdown":{…}}.
	WebhookURLs []string `toml:"webhook_urls"`
}

// Validate refuses an address that is not an http(s) URL.
func (c NotifyConfig) Validate() error {
	for _, u := range c.WebhookURLs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return fmt.Errorf("[notify] webhook_urls：%q 不是 http(s) 网址", redact(u))
		}
	}
	return nil
}

// Poster posts markdown summaries to the webhooks, recording each post
// before and after sending (webhook_posts): a post that failed is retried
// with backoff and on the next run; one recorded as sent is never sent
// again; and one a crash caught while it was on its way (recorded as
// posting, its answer never recorded) is not sent again either — a chat
// group would see it twice — but reported, so the operator can check.
type Poster struct {
	Config  NotifyConfig
	Store   *store.Store
	Client  *http.Client // default: a 10-second timeout
	Now     func() time.Time
	Sleep   func(time.Duration) // between attempts; default time.Sleep
	Retries int                 // attempts per post and run; default 3
	// AfterPost, if set, runs after the webhook answered a post and before
	// it is recorded as sent: tests use it to crash there.
	AfterPost func() error
}

// PostReport counts what a Post did. Unknown are posts a crash caught on
// their way: not sent again.
type PostReport struct {
	Sent, AlreadySent, Failed, Unknown int
	Errors                             []string
}

// Post sends title and markdown text to every webhook under key.
func (p *Poster) Post(ctx context.Context, key, title, text string) (PostReport, error) {
	var r PostReport
	client := p.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	retries := p.Retries
	if retries == 0 {
		retries = 3
	}
	sleep := p.Sleep
	if sleep == nil {
		sleep = time.Sleep
	}
	body, _ := json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": title, "content": text, "text": text}})
	for _, u := range p.Config.WebhookURLs {
		h := sha256.Sum256([]byte(u))
		hash := hex.EncodeToString(h[:])
		status, err := p.record(ctx, key, hash, hostOf(u))
		if err != nil {
			return r, err
		}
		switch status {
		case "sent":
			r.AlreadySent++
			continue
		case "posting":
			r.Unknown++
			continue
		}
		var postErr error
		for attempt := 1; attempt <= retries; attempt++ {
			if err := p.exec(ctx, `UPDATE webhook_posts SET status = 'posting' WHERE post_key = ? AND url_sha256 = ?`, key, hash); err != nil {
				return r, err
			}
			if postErr = postOnce(ctx, client, u, body); postErr == nil {
				break
			}
			p.exec(ctx, `UPDATE webhook_posts SET attempts = attempts + 1, last_error = ?, status = 'failed' WHERE post_key = ? AND url_sha256 = ?`,
				postErr.Error(), key, hash)
			if attempt < retries {
				sleep(time.Duration(1<<(attempt-1)) * time.Second)
			}
		}
		if postErr != nil {
			r.Failed++
			r.Errors = append(r.Errors, fmt.Sprintf("%s: %v", hostOf(u), postErr))
			continue
		}
		if p.AfterPost != nil {
			if err := p.AfterPost(); err != nil {
				return r, err
			}
		}
		if err := p.exec(ctx, `UPDATE webhook_posts SET attempts = attempts + 1, status = 'sent', last_error = '', sent_at = ? WHERE post_key = ? AND url_sha256 = ?`,
			p.Now(), key, hash); err != nil {
			return r, err
		}
		r.Sent++
	}
	return r, nil
}

// postOnce posts body; a 2xx whose JSON errcode, if any, is 0 is sent (the
// robots answer errors with 200 and an errcode).
func postOnce(ctx context.Context, client *http.Client, u string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, "POST", u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the address carries the webhook's key: never in a record
		}
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var answer struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if json.Unmarshal(b, &answer) == nil && answer.ErrCode != 0 {
		return fmt.Errorf("errcode %d: %s", answer.ErrCode, answer.ErrMsg)
	}
	return nil
}

func (p *Poster) record(ctx context.Context, key, hash, host string) (string, error) {
	var status string
	err := p.Store.Write(func() error {
		err := p.Store.DB().QueryRowContext(ctx, `SELECT status FROM webhook_posts WHERE post_key = ? AND url_sha256 = ?`, key, hash).Scan(&status)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		status = "pending"
		_, err = p.Store.DB().ExecContext(ctx, `INSERT INTO webhook_posts (post_id, post_key, url_sha256, host, status, created_at)
			SELECT coalesce(max(post_id), 0) + 1, ?, ?, ?, 'pending', ? FROM webhook_posts`, key, hash, host, p.Now())
		return err
	})
	return status, err
}

func (p *Poster) exec(ctx context.Context, query string, args ...any) error {
	return p.Store.Write(func() error {
		_, err := p.Store.DB().ExecContext(ctx, query, args...)
		return err
	})
}

// hostOf is a webhook's host, what the records and messages name of it.
func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Host
	}
	return "?"
}

// redact is a webhook's address without its query (its key).
func redact(u string) string {
	if p, err := url.Parse(u); err == nil {
		p.RawQuery = ""
		return p.String()
	}
	return "?"
}
