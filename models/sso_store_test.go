package models_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

func TestSSOReplaysAreSingleUse(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewSSOStore(db)
		ctx := context.Background()
		t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		key := models.ReplayKey("jwt", "token-id-1")
		if err := s.Consume(ctx, key, t0.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.Consume(ctx, key, t0.Add(5*time.Minute)); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("second use: err = %v, want ErrConflict", err)
		}
		// The same value of another kind is another key.
		if err := s.Consume(ctx, models.ReplayKey("saml-assertion", "token-id-1"), t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		// Concurrent uses of one value: exactly one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		race := models.ReplayKey("jwt", "raced")
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.Consume(ctx, race, t0.Add(time.Minute))
				if err != nil && !errors.Is(err, models.ErrConflict) {
					t.Error(err)
				}
				if err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d concurrent uses won, want 1", wins)
		}
		// Cleanup removes only what expired.
		n, err := s.DeleteExpired(ctx, t0.Add(2*time.Minute))
		if err != nil || n != 2 {
			t.Fatalf("DeleteExpired = %d, %v; want 2", n, err)
		}
		if err := s.Consume(ctx, key, t0.Add(5*time.Minute)); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("a live value was deleted: err = %v", err)
		}
		if k := models.ReplayKey("jwt", strings.Repeat("x", 100000)); len(k) != len("jwt:")+64 {
			t.Fatalf("replay key length %d", len(k))
		}
	})
}

func TestSSOKeyPairCreatedOnce(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewSSOStore(db)
		ctx := context.Background()
		if _, err := s.KeyPair(ctx, "saml"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("KeyPair before creation: %v", err)
		}
		first, err := s.CreateKeyPairIfAbsent(ctx, models.SSOKeyPair{Name: "saml", PrivateKeyPEM: "k1", CertificatePEM: "c1"})
		if err != nil || first.PrivateKeyPEM != "k1" {
			t.Fatalf("first = %+v, %v", first, err)
		}
		second, err := s.CreateKeyPairIfAbsent(ctx, models.SSOKeyPair{Name: "saml", PrivateKeyPEM: "k2", CertificatePEM: "c2"})
		if err != nil || second.PrivateKeyPEM != "k1" || second.CertificatePEM != "c1" {
			t.Fatalf("second creation replaced the pair: %+v, %v", second, err)
		}
	})
}

func TestSSOListsAndLoginRecord(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		st := models.NewStores(db)
		s := models.NewSSOStore(db)
		ctx := context.Background()
		for _, name := range []string{"VIP", "Partners"} {
			if err := st.Contacts.CreateList(ctx, &models.ContactList{Name: name, Kind: models.ListStatic}); err != nil {
				t.Fatal(err)
			}
		}
		lists, err := s.ListsAll(ctx)
		if err != nil || len(lists) != 2 || lists[0].Name != "Partners" {
			t.Fatalf("ListsAll = %+v, %v", lists, err)
		}
		c := models.Contact{Email: "ana@example.com", Name: "", Active: true}
		if err := st.Contacts.Create(ctx, &c); err != nil {
			t.Fatal(err)
		}
		t1 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		if err := s.RecordSSOLogin(ctx, c.ID, "Ana", t1); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordSSOLogin(ctx, c.ID, "Someone Else", t1.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, err := st.Contacts.ByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Ana" || got.EmailVerifiedAt == nil || !got.EmailVerifiedAt.Equal(t1) ||
			got.LastLoginAt == nil || !got.LastLoginAt.Equal(t1.Add(time.Hour)) {
			t.Fatalf("after two SSO logins: name %q verified %v last login %v", got.Name, got.EmailVerifiedAt, got.LastLoginAt)
		}
		if err := s.RecordSSOLogin(ctx, 999999, "", t1); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown contact: %v", err)
		}
	})
}

func TestSSOSettingsValidate(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkix, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}))
	pkcs1PEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&key.PublicKey)}))
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallDER, _ := x509.MarshalPKIXPublicKey(&small.PublicKey)
	smallPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: smallDER}))
	secret := strings.Repeat("s", 32)

	cases := []struct {
		name  string
		s     models.SSOSettings
		field string // "" when valid
	}{
		{"all off", models.SSOSettings{}, ""},
		{"HS256 on with a secret", models.SSOSettings{JWTEnabled: true, JWTAlgorithm: models.JWTHS256, JWTSecret: secret}, ""},
		{"RS256 on with a PKIX key", models.SSOSettings{JWTEnabled: true, JWTAlgorithm: models.JWTRS256, JWTPublicKey: pubPEM}, ""},
		{"RS256 with a PKCS1 key", models.SSOSettings{JWTAlgorithm: models.JWTRS256, JWTPublicKey: pkcs1PEM}, ""},
		{"unknown algorithm", models.SSOSettings{JWTAlgorithm: "none"}, "jwt_algorithm"},
		{"enabled without algorithm", models.SSOSettings{JWTEnabled: true, JWTSecret: secret}, "jwt_algorithm"},
		{"short secret", models.SSOSettings{JWTAlgorithm: models.JWTHS256, JWTSecret: "short"}, "jwt_secret"},
		{"HS256 on without secret", models.SSOSettings{JWTEnabled: true, JWTAlgorithm: models.JWTHS256}, "jwt_secret"},
		{"RS256 on without key", models.SSOSettings{JWTEnabled: true, JWTAlgorithm: models.JWTRS256}, "jwt_public_key"},
		{"private key pasted", models.SSOSettings{JWTAlgorithm: models.JWTRS256, JWTPublicKey: privPEM}, "jwt_public_key"},
		{"1024-bit key", models.SSOSettings{JWTAlgorithm: models.JWTRS256, JWTPublicKey: smallPEM}, "jwt_public_key"},
		{"garbage PEM", models.SSOSettings{JWTAlgorithm: models.JWTRS256, JWTPublicKey: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"}, "jwt_public_key"},
		{"two PEM blocks", models.SSOSettings{JWTAlgorithm: models.JWTRS256, JWTPublicKey: pubPEM + pubPEM}, "jwt_public_key"},
		{"issuer with a space", models.SSOSettings{JWTIssuer: "my app"}, "jwt_issuer"},
		{"audience with a newline", models.SSOSettings{JWTAudience: "a\nb"}, "jwt_audience"},
		{"SAML on without metadata", models.SSOSettings{SAMLEnabled: true}, "saml_idp_metadata"},
		{"metadata over 1 MB", models.SSOSettings{SAMLIdPMetadata: strings.Repeat("x", models.MaxSAMLMetadataBytes+1)}, "saml_idp_metadata"},
		{"entity ID with a space", models.SSOSettings{SAMLEntityID: "urn:a b"}, "saml_entity_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Validate()
			var ve *models.ValidationError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("valid settings refused: %v", err)
			case tc.field != "" && (!errors.As(err, &ve) || ve.Field != tc.field):
				t.Fatalf("err = %v, want a validation error on %s", err, tc.field)
			}
		})
	}
}
