package wsuslog_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/wsusmock/wsusmock/wsuslog"
)

// A WSUS 3.0 SP1 web service failing SyncUpdates as in advisory 954960:
// the request, the duplicate revision key 8862 with its stack trace, and
// the SOAP fault raised from it. The output shows tabs as → and CRLF
// line ends as plain line breaks.
func ExampleServerLog() {
	clock := func() time.Time { return time.Date(2008, 6, 14, 2, 59, 57, 642e6, time.UTC) }
	var file bytes.Buffer
	log := wsuslog.NewServerLog(&file, wsuslog.LangEnglish, clock)

	log.Request("w3wp.12", "SyncUpdates", "")
	log.DuplicateKey("w3wp.12", "8862")
	log.ThrowException("w3wp.12", "http://wsusebc/ClientWebService/client.asmx",
		"c0a7445f-b989-43fa-ac20-11f8ca65fa8c", "InternalServerError", "", "")
	if err := log.Close(); err != nil {
		fmt.Println(err)
	}

	fmt.Print(strings.NewReplacer("\t", " → ", "\r\n", "\n").Replace(file.String()))
	// Output:
	// 2008-06-14 02:59:57.642 UTC Info → w3wp.12 → ClientImplementation.SyncUpdates → SyncUpdates request, Client=?
	// 2008-06-14 02:59:57.642 UTC Error → w3wp.12 → ClientImplementation.SyncUpdates → System.ArgumentException: Item has already been added. Key in dictionary: '8862'  Key being added: '8862'
	//    at System.Collections.Hashtable.Insert(Object key, Object nvalue, Boolean add)
	//    at System.Collections.Hashtable.Add(Object key, Object value)
	//    at Microsoft.UpdateServices.Internal.ClientImplementation.GetSyncInfo(DataAccess dataAccess, Hashtable stateTable, Hashtable deploymentTable, Boolean haveGroupsChanged, Boolean doChunking)
	//    at Microsoft.UpdateServices.Internal.ClientImplementation.SoftwareSync(DataAccess dataAccess, UnencryptedCookieData cookieData, Int32[] installedNonLeafUpdateIds, Int32[] leafUpdateIds, Boolean haveGroupsChanged, Boolean expressQuery)
	//    at Microsoft.UpdateServices.Internal.ClientImplementation.SyncUpdates(Cookie cookie, SyncUpdateParameters parameters)
	//    at Microsoft.UpdateServices.Internal.ClientImplementation.SyncUpdates(Cookie cookie, SyncUpdateParameters parameters)
	//    at Microsoft.UpdateServices.Internal.Client.SyncUpdates(Cookie cookie, SyncUpdateParameters parameters)
	// 2008-06-14 02:59:57.642 UTC Warning → w3wp.12 → SoapUtilities.CreateException → ThrowException: actor = http://wsusebc/ClientWebService/client.asmx, ID=c0a7445f-b989-43fa-ac20-11f8ca65fa8c, ErrorCode=InternalServerError, Message=, Client=?
}

// Reading a WindowsUpdate.log, whatever its encoding, and picking out the
// fault the agent received.
func ExampleOpenLog() {
	file := strings.NewReader("2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING: SOAP Fault: 0x000190\r\n" +
		"2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING:     ErrorCode:InternalServerError(5)\r\n")
	r, err := wsuslog.OpenLog(file)
	if err != nil {
		fmt.Println(err)
		return
	}
	for r.Scan() {
		e, ok := wsuslog.ParseClientLine(r.Text())
		if ok && strings.Contains(e.Text, "ErrorCode:") {
			fmt.Printf("line %d, %s thread %x: %s\n", r.Line(), r.Encoding(), e.TID, strings.TrimSpace(e.Text))
		}
	}
	// Output:
	// line 2, UTF-8 thread ee4: WARNING:     ErrorCode:InternalServerError(5)
}
