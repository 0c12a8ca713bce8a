package wsuslog

import "strings"

// DuplicateKeyMessage returns the message column of the KB954960 Error
// entry: the ArgumentException text for revision key, then one "   at …"
// line per stack frame, separated by "\n" (ServerLog writes them as CRLF).
//
// LangEnglish uses the .NET 2.0 resource text, which has TWO spaces
// before "Key being added" and calls Insert's second parameter nvalue
// (docs/protocol-facts.md S17). LangDutch reproduces the advisory's copy verbatim,
// including its garbled translation, double quotes and "Object value";
// only the key is substituted.
func DuplicateKeyMessage(lang Lang, key string) string {
	frames := englishFrames
	if lang == LangDutch {
		frames = dutchFrames
	}
	// One allocation: the message is written on every KB954960 fault.
	size := 160 + 2*len(key)
	for _, f := range frames {
		size += 1 + len(framePrefix) + len(f)
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteString("System.ArgumentException: ")
	if lang == LangDutch {
		for _, s := range []string{`Het item is reeds toegevoegd. Sleutel in woordenboek: Sleutel "`, key, `" wordt toegevoegd: "`, key, `"`} {
			b.WriteString(s)
		}
	} else {
		for _, s := range []string{"Item has already been added. Key in dictionary: '", key, "'  Key being added: '", key, "'"} {
			b.WriteString(s)
		}
	}
	for _, f := range frames {
		b.WriteString("\n")
		b.WriteString(framePrefix)
		b.WriteString(f)
	}
	return b.String()
}

// DuplicateKeyFrames returns the stack frames of the KB954960 exception,
// innermost first, without the "at " prefix, as lang renders them.
//
// ClientImplementation.SyncUpdates appears twice because the advisory
// prints it twice (an overload forwarding to another, presumably).
func DuplicateKeyFrames(lang Lang) []string {
	if lang == LangDutch {
		return append([]string(nil), dutchFrames...)
	}
	return append([]string(nil), englishFrames...)
}

var englishFrames = []string{
	"System.Collections.Hashtable.Insert(Object key, Object nvalue, Boolean add)",
	"System.Collections.Hashtable.Add(Object key, Object value)",
	"Microsoft.UpdateServices.Internal.ClientImplementation.GetSyncInfo(DataAccess dataAccess, Hashtable stateTable, Hashtable deploymentTable, Boolean haveGroupsChanged, Boolean doChunking)",
	"Microsoft.UpdateServices.Internal.ClientImplementation.SoftwareSync(DataAccess dataAccess, UnencryptedCookieData cookieData, Int32[] installedNonLeafUpdateIds, Int32[] leafUpdateIds, Boolean haveGroupsChanged, Boolean expressQuery)",
	"Microsoft.UpdateServices.Internal.ClientImplementation.SyncUpdates(Cookie cookie, SyncUpdateParameters parameters)",
	"Microsoft.UpdateServices.Internal.ClientImplementation.SyncUpdates(Cookie cookie, SyncUpdateParameters parameters)",
	"Microsoft.UpdateServices.Internal.Client.SyncUpdates(Cookie cookie, SyncUpdateParameters parameters)",
}

// dutchFrames differ from englishFrames only where the advisory's copy
// does: it prints Insert's parameter as "value".
var dutchFrames = []string{
	"System.Collections.Hashtable.Insert(Object key, Object value, Boolean add)",
	englishFrames[1], englishFrames[2], englishFrames[3], englishFrames[4], englishFrames[5], englishFrames[6],
}
