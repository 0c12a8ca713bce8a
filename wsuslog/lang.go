package wsuslog

import (
	"fmt"
	"strings"
)

// Lang selects the rendering of log texts.
//
// Neither WSUS nor the Windows Update Agent localise their own log
// texts; only .NET exception messages came out in the server's UI
// language. LangDutch exists because the Dutch advisory's copy of both
// logs is the reference capture of the bug, and it shows translated
// texts (SOAP-fout, Bericht:, De methode:) and a comma before the
// milliseconds. Texts that the advisory does not show stay in English
// in LangDutch. Any value other than LangDutch renders English.
type Lang string

const (
	// LangEnglish renders the logs as the products write them.
	LangEnglish Lang = "en"
	// LangDutch renders the logs as the Dutch advisory 954960 prints them.
	LangDutch Lang = "nl"
)

// ParseLang accepts the names a command line is likely to carry: the
// ISO 639-1 code, a culture name (nl-NL, en-US) or the English name.
func ParseLang(s string) (Lang, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "en", "en-us", "english":
		return LangEnglish, nil
	case "nl", "nl-nl", "dutch", "nederlands":
		return LangDutch, nil
	}
	return "", fmt.Errorf("wsuslog: unknown language %q (want en or nl)", s)
}
