package certificate

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// ErrInvalidSerial is returned, wrapped, by ParseSerial for a value that is not a serial number.
var ErrInvalidSerial = errors.New("certificate: invalid serial number")

// maxSerialBytes is the longest serial number RFC 5280 section 4.1.2.2 allows conforming CAs to
// use. Longer values are rejected so that a hostile input cannot force a huge parse.
const maxSerialBytes = 20

// ParseSerial parses a serial number written as a decimal string (the form API Gateway puts in
// requestContext.authentication.clientCert.serialNumber), as hex with a 0x prefix, or as
// colon-separated hex bytes ("01:a2:ff"). Bare hex without a prefix is rejected because a
// string such as "1234" would be ambiguous. Leading zero bytes never change the value.
func ParseSerial(s string) (*big.Int, error) {
	raw := s
	s = strings.TrimSpace(s)

	var (
		n  *big.Int
		ok bool
	)
	switch {
	case s == "":
		return nil, fmt.Errorf("%w: empty value, expected a decimal number such as 1234 or hex such as 0x04d2", ErrInvalidSerial)
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		n, ok = parseHex(s[2:])
	case strings.Contains(s, ":"):
		n, ok = parseColonHex(s)
	default:
		n, ok = parseDecimal(s)
	}
	if !ok {
		return nil, fmt.Errorf("%w: %q: expected a decimal number, 0x-prefixed hex or colon-separated hex bytes", ErrInvalidSerial, raw)
	}
	if n.Sign() <= 0 {
		return nil, fmt.Errorf("%w: %q: a serial number must be positive", ErrInvalidSerial, raw)
	}
	if len(n.Bytes()) > maxSerialBytes {
		return nil, fmt.Errorf("%w: %q: longer than %d bytes", ErrInvalidSerial, raw, maxSerialBytes)
	}
	return n, nil
}

// CanonicalSerial returns the canonical form of s: the decimal string used as the table's
// partition key.
func CanonicalSerial(s string) (string, error) {
	n, err := ParseSerial(s)
	if err != nil {
		return "", err
	}
	return n.String(), nil
}

// FormatSerial returns the canonical decimal form of a certificate's serial number.
func FormatSerial(n *big.Int) string {
	return n.String()
}

// FormatSerialHex returns n as colon-separated lowercase hex bytes, the form openssl prints.
func FormatSerialHex(n *big.Int) string {
	b := n.Bytes()
	parts := make([]string, len(b))
	for i, v := range b {
		parts[i] = fmt.Sprintf("%02x", v)
	}
	return strings.Join(parts, ":")
}

func parseDecimal(s string) (*big.Int, bool) {
	// A 20-byte value has at most 49 decimal digits; allow leading zeros on top of that.
	if len(s) > 3*maxSerialBytes {
		return nil, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return nil, false
		}
	}
	return new(big.Int).SetString(s, 10)
}

func parseHex(s string) (*big.Int, bool) {
	if s == "" || len(s) > 4*maxSerialBytes {
		return nil, false
	}
	for _, r := range s {
		if !isHexDigit(r) {
			return nil, false
		}
	}
	return new(big.Int).SetString(s, 16)
}

func parseColonHex(s string) (*big.Int, bool) {
	parts := strings.Split(s, ":")
	if len(parts) > 2*maxSerialBytes {
		return nil, false
	}
	var b strings.Builder
	for _, p := range parts {
		if len(p) == 0 || len(p) > 2 {
			return nil, false
		}
		if len(p) == 1 {
			b.WriteByte('0')
		}
		b.WriteString(p)
	}
	return parseHex(b.String())
}

func isHexDigit(r rune) bool {
	return (r >= '0' && r <= '9') || (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F')
}
