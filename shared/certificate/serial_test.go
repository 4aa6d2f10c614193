package certificate_test

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/mtls-api/mtls-api/shared/certificate"
)

func TestParseSerial(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{name: "decimal", input: "1234", want: "1234"},
		{name: "decimal with spaces", input: "  1234\n", want: "1234"},
		{name: "decimal leading zeros", input: "0001234", want: "1234"},
		{name: "hex prefix", input: "0x04d2", want: "1234"},
		{name: "hex upper prefix", input: "0X04D2", want: "1234"},
		{name: "colon hex", input: "04:d2", want: "1234"},
		{name: "colon hex leading zero byte", input: "00:04:d2", want: "1234"},
		{name: "colon hex single digit bytes", input: "4:d2", want: "1234"},
		{name: "colon hex upper", input: "04:D2", want: "1234"},
		{name: "twenty bytes", input: "0x" + strings.Repeat("ff", 20), want: new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 160), big.NewInt(1)).String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := certificate.ParseSerial(tt.input)
			if err != nil {
				t.Fatalf("ParseSerial(%q) error = %v", tt.input, err)
			}
			if got.String() != tt.want {
				t.Errorf("ParseSerial(%q) = %s, want %s", tt.input, got, tt.want)
			}
		})
	}
}

func TestParseSerialRejects(t *testing.T) {
	tests := []struct {
		name  string
		input string
	}{
		{name: "empty", input: ""},
		{name: "blank", input: "   "},
		{name: "bare hex", input: "04d2"},
		{name: "negative", input: "-5"},
		{name: "zero", input: "0"},
		{name: "zero hex", input: "0x00"},
		{name: "empty hex", input: "0x"},
		{name: "plus sign", input: "+5"},
		{name: "decimal point", input: "12.5"},
		{name: "empty colon byte", input: "04::d2"},
		{name: "trailing colon", input: "04:d2:"},
		{name: "three digit colon byte", input: "04:d23"},
		{name: "non hex colon byte", input: "04:zz"},
		{name: "too long hex", input: "0x01" + strings.Repeat("00", 20)},
		{name: "too long decimal", input: strings.Repeat("9", 61)},
		{name: "unicode digits", input: "١٢٣"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := certificate.ParseSerial(tt.input)
			if !errors.Is(err, certificate.ErrInvalidSerial) {
				t.Errorf("ParseSerial(%q) = %v, %v, want ErrInvalidSerial", tt.input, got, err)
			}
		})
	}
}

func TestSerialFormsAgree(t *testing.T) {
	n, _ := new(big.Int).SetString("295990755083049101712519384016336253317", 10)
	forms := []string{
		certificate.FormatSerial(n),
		"0x" + n.Text(16),
		certificate.FormatSerialHex(n),
		"00:" + certificate.FormatSerialHex(n),
	}
	for _, form := range forms {
		got, err := certificate.CanonicalSerial(form)
		if err != nil {
			t.Fatalf("CanonicalSerial(%q) error = %v", form, err)
		}
		if got != n.String() {
			t.Errorf("CanonicalSerial(%q) = %s, want %s", form, got, n)
		}
	}
}

func FuzzParseSerial(f *testing.F) {
	for _, seed := range []string{"1234", "0x04d2", "04:d2", "", "0", "-1", "00:ff", "0x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := certificate.ParseSerial(s)
		if err != nil {
			if !errors.Is(err, certificate.ErrInvalidSerial) {
				t.Fatalf("ParseSerial(%q) error %v does not wrap ErrInvalidSerial", s, err)
			}
			return
		}
		if n.Sign() <= 0 {
			t.Fatalf("ParseSerial(%q) = %s, want a positive number", s, n)
		}
		// The canonical form parses back to itself.
		again, err := certificate.CanonicalSerial(n.String())
		if err != nil || again != n.String() {
			t.Fatalf("CanonicalSerial(%q) = %q, %v, want %q", n.String(), again, err, n.String())
		}
	})
}

func BenchmarkCanonicalSerial(b *testing.B) {
	for b.Loop() {
		if _, err := certificate.CanonicalSerial("295990755083049101712519384016336253317"); err != nil {
			b.Fatal(err)
		}
	}
}
