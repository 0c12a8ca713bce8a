package installroot_test

import (
	"bytes"
	"debug/pe"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/installroot"
)

var sp1 = installroot.Files{
	Product:          "Windows Server Update Services 3.0 SP1",
	VersionString:    "3.1.6001.65",
	ClientDLLVersion: "3.1.6001.65",
}

func ExampleWrite() {
	dir, err := os.MkdirTemp("", "installroot")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := installroot.Write(dir, installroot.Files{VersionString: "3.1.6001.65", ClientDLLVersion: "3.1.6001.66"}); err != nil {
		panic(err)
	}
	vi, err := installroot.ReadVersionInfo(filepath.Join(dir, installroot.ClientDLLPath))
	if err != nil {
		panic(err)
	}
	fmt.Println(vi.FileVersion, vi.Strings["OriginalFilename"])
	// Output: 3.1.6001.66 Microsoft.UpdateServices.WebServices.Client.dll
}

// TestClientDLLLayout checks the PE headers with the standard library's
// reader: what the Windows loader and tools look at before the resources.
func TestClientDLLLayout(t *testing.T) {
	dll, err := installroot.ClientDLL("3.1.6001.65")
	if err != nil {
		t.Fatal(err)
	}
	f, err := pe.NewFile(bytes.NewReader(dll))
	if err != nil {
		t.Fatal(err)
	}
	if f.Machine != pe.IMAGE_FILE_MACHINE_I386 {
		t.Errorf("machine %#x, want i386", f.Machine)
	}
	want := uint16(pe.IMAGE_FILE_DLL | pe.IMAGE_FILE_EXECUTABLE_IMAGE | pe.IMAGE_FILE_32BIT_MACHINE)
	if f.Characteristics&want != want {
		t.Errorf("characteristics %#x, want %#x set", f.Characteristics, want)
	}
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader32)
	if !ok {
		t.Fatalf("optional header %T, want PE32", f.OptionalHeader)
	}
	if len(f.Sections) != 1 || f.Sections[0].Name != ".rsrc" {
		t.Fatalf("sections %v, want one .rsrc", f.Sections)
	}
	s := f.Sections[0]
	rsrc := oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE]
	for _, c := range []struct {
		name      string
		got, want uint32
	}{
		{"SectionAlignment", oh.SectionAlignment, 0x1000},
		{"FileAlignment", oh.FileAlignment, 0x200},
		{"SizeOfHeaders", oh.SizeOfHeaders, 0x200},
		{"section file offset", s.Offset, oh.SizeOfHeaders},
		{"section RVA", s.VirtualAddress, 0x1000},
		{"section raw size", s.Size % oh.FileAlignment, 0},
		{"SizeOfImage", oh.SizeOfImage, s.VirtualAddress + (s.VirtualSize+0xFFF)&^0xFFF},
		{"SizeOfInitializedData", oh.SizeOfInitializedData, s.Size},
		{"file size", uint32(len(dll)), s.Offset + s.Size},
		{"resource directory RVA", rsrc.VirtualAddress, s.VirtualAddress},
		{"resource directory size", rsrc.Size, s.VirtualSize},
		{"section characteristics", s.Characteristics, pe.IMAGE_SCN_CNT_INITIALIZED_DATA | pe.IMAGE_SCN_MEM_READ},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
	if oh.NumberOfRvaAndSizes != 16 {
		t.Errorf("NumberOfRvaAndSizes = %d", oh.NumberOfRvaAndSizes)
	}
	if oh.CheckSum == 0 {
		t.Error("CheckSum is not set")
	}
	again, _ := installroot.ClientDLL("3.1.6001.65")
	if !bytes.Equal(dll, again) {
		t.Error("two DLLs of the same version differ")
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	if err := installroot.Write(dir, sp1); err != nil {
		t.Fatal(err)
	}
	dllPath := filepath.Join(dir, "Update Services", "WebServices", "ClientWebService", "bin", "Microsoft.UpdateServices.WebServices.Client.dll")
	vi, err := installroot.ReadVersionInfo(dllPath)
	if err != nil {
		t.Fatal(err)
	}
	if vi.FileVersion != "3.1.6001.65" || vi.ProductVersion != "3.1.6001.65" {
		t.Errorf("fixed versions %s, %s; want 3.1.6001.65", vi.FileVersion, vi.ProductVersion)
	}
	wantStrings := map[string]string{
		"CompanyName":      "Microsoft Corporation",
		"FileDescription":  "Microsoft.UpdateServices.WebServices.Client",
		"FileVersion":      "3.1.6001.65",
		"InternalName":     "Microsoft.UpdateServices.WebServices.Client.dll",
		"LegalCopyright":   "© Microsoft Corporation. All rights reserved.",
		"OriginalFilename": "Microsoft.UpdateServices.WebServices.Client.dll",
		"ProductName":      "Microsoft® Windows® Server Update Services",
		"ProductVersion":   "3.1.6001.65",
	}
	if fmt.Sprint(vi.Strings) != fmt.Sprint(wantStrings) {
		t.Errorf("strings\n got %v\nwant %v", vi.Strings, wantStrings)
	}
	if len(vi.Translations) != 1 || vi.Translations[0] != 0x04B00409 {
		t.Errorf("translations %#x, want [0x4b00409]", vi.Translations)
	}
	reg, err := os.ReadFile(filepath.Join(dir, "registry.reg"))
	if err != nil {
		t.Fatal(err)
	}
	wantReg := "Windows Registry Editor Version 5.00\r\n\r\n" +
		"; Windows Server Update Services 3.0 SP1\r\n" +
		`[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Update Services\Server\Setup]` + "\r\n" +
		`"VersionString"="3.1.6001.65"` + "\r\n\r\n"
	if string(reg) != wantReg {
		t.Errorf("registry.reg\n got %q\nwant %q", reg, wantReg)
	}

	fixed := sp1
	fixed.ClientDLLVersion = "3.1.6001.66"
	if err := installroot.Write(dir, fixed); err != nil {
		t.Fatal(err)
	}
	if vi, err = installroot.ReadVersionInfo(dllPath); err != nil || vi.FileVersion != "3.1.6001.66" || vi.Strings["FileVersion"] != "3.1.6001.66" {
		t.Errorf("after rewriting with 3.1.6001.66: %+v, %v", vi, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dllPath))
	if len(entries) != 1 {
		t.Errorf("bin holds %d entries, want the DLL only (no temporary files left)", len(entries))
	}
}

func TestWriteRefusesBadInput(t *testing.T) {
	for _, f := range []installroot.Files{
		{VersionString: "3.1.6001.65", ClientDLLVersion: "3.1.6001"},
		{VersionString: "3.1.6001.65", ClientDLLVersion: "3.1.6001.65536"},
		{VersionString: "3.1.6001.65", ClientDLLVersion: "3.1.x.65"},
		{VersionString: "3.1\n.6001.65", ClientDLLVersion: "3.1.6001.65"},
	} {
		dir := t.TempDir()
		if err := installroot.Write(dir, f); err == nil {
			t.Errorf("Write(%+v) succeeded", f)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("Write(%+v) failed but left %d entries", f, len(entries))
		}
	}
}

func TestReadVersionInfoWithoutResource(t *testing.T) {
	if _, err := installroot.ReadVersionInfo(filepath.Join(t.TempDir(), "missing.dll")); err == nil {
		t.Error("reading a missing file succeeded")
	}
	notPE := filepath.Join(t.TempDir(), "not.dll")
	os.WriteFile(notPE, []byte("MZ but not a PE"), 0o644)
	if _, err := installroot.ReadVersionInfo(notPE); err == nil {
		t.Error("reading a non-PE file succeeded")
	}
}

// pefileCheck is run by Debian's python3-pefile, the parser malware and
// forensics tools use, which is stricter than the Windows loader about
// layout and reports what it finds odd as warnings.
const pefileCheck = `
import json, sys, pefile
pe = pefile.PE(sys.argv[1])
ffi = pe.VS_FIXEDFILEINFO[0]
def dotted(ms, ls): return "%d.%d.%d.%d" % (ms >> 16, ms & 0xFFFF, ls >> 16, ls & 0xFFFF)
strings, translations = {}, []
for fi in pe.FileInfo[0]:
    if fi.Key == b"StringFileInfo":
        for st in fi.StringTable:
            strings.update({k.decode(): v.decode() for k, v in st.entries.items()})
            strings["_table"] = st.LangID.decode()
    elif fi.Key == b"VarFileInfo":
        for v in fi.Var:
            translations += [t for t in v.entry.values()]
rsrc = pe.OPTIONAL_HEADER.DATA_DIRECTORY[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_RESOURCE"]]
print(json.dumps({
    "dll": pe.is_dll(),
    "machine": pe.FILE_HEADER.Machine,
    "sections": [s.Name.rstrip(b"\0").decode() for s in pe.sections],
    "resource_types": [e.id for e in pe.DIRECTORY_ENTRY_RESOURCE.entries],
    "resource_langs": [l.id for t in pe.DIRECTORY_ENTRY_RESOURCE.entries for n in t.directory.entries for l in n.directory.entries],
    "file_version": dotted(ffi.FileVersionMS, ffi.FileVersionLS),
    "product_version": dotted(ffi.ProductVersionMS, ffi.ProductVersionLS),
    "strings": strings,
    "translations": translations,
    "checksum_ok": pe.verify_checksum(),
    "warnings": pe.get_warnings(),
}))
`

// TestPefileReadsClientDLL has a third-party PE parser read the DLL. It
// needs Debian's python3-pefile, which .ci/run installs.
func TestPefileReadsClientDLL(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import pefile").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3-pefile is not installed; .ci/run installs it")
		}
		t.Skip("python3-pefile is not installed (apt-get install python3-pefile)")
	}
	dir := t.TempDir()
	if err := installroot.Write(dir, sp1); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/python3", "-c", pefileCheck, filepath.Join(dir, installroot.ClientDLLPath)).CombinedOutput()
	if err != nil {
		t.Fatalf("pefile: %v\n%s", err, out)
	}
	var got struct {
		DLL            bool              `json:"dll"`
		Machine        int               `json:"machine"`
		Sections       []string          `json:"sections"`
		ResourceTypes  []int             `json:"resource_types"`
		ResourceLangs  []int             `json:"resource_langs"`
		FileVersion    string            `json:"file_version"`
		ProductVersion string            `json:"product_version"`
		Strings        map[string]string `json:"strings"`
		Translations   []string          `json:"translations"`
		ChecksumOK     bool              `json:"checksum_ok"`
		Warnings       []string          `json:"warnings"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("pefile: %s", out)
	check := func(name string, ok bool) {
		if !ok {
			t.Errorf("pefile: %s is wrong", name)
		}
	}
	check("is_dll", got.DLL)
	check("machine", got.Machine == 0x14c)
	check("sections", strings.Join(got.Sections, ",") == ".rsrc")
	check("resource types", fmt.Sprint(got.ResourceTypes) == "[16]")
	check("resource languages", fmt.Sprint(got.ResourceLangs) == "[1033]")
	check("VS_FIXEDFILEINFO FileVersion", got.FileVersion == "3.1.6001.65")
	check("VS_FIXEDFILEINFO ProductVersion", got.ProductVersion == "3.1.6001.65")
	check("string table", got.Strings["_table"] == "040904B0")
	check("StringFileInfo FileVersion", got.Strings["FileVersion"] == "3.1.6001.65")
	check("StringFileInfo ProductVersion", got.Strings["ProductVersion"] == "3.1.6001.65")
	check("StringFileInfo OriginalFilename", got.Strings["OriginalFilename"] == "Microsoft.UpdateServices.WebServices.Client.dll")
	check("StringFileInfo CompanyName", got.Strings["CompanyName"] == "Microsoft Corporation")
	check("StringFileInfo ProductName", got.Strings["ProductName"] == "Microsoft® Windows® Server Update Services")
	check("Translation", fmt.Sprint(got.Translations) == "[0x0409 0x04b0]")
	check("checksum", got.ChecksumOK)
	for _, w := range got.Warnings {
		if !expectedPefileWarning(w) {
			t.Errorf("pefile warns: %s", w)
		}
	}
}

// expectedPefileWarning reports whether pefile gives warning w to every
// resource-only DLL linked with /NOENTRY (as Microsoft's .mui files are):
// AddressOfEntryPoint 0 means "no DllMain" to the loader but looks odd to
// pefile, and such a small file is mostly padding.
func expectedPefileWarning(w string) bool {
	for _, prefix := range []string{
		"Byte 0x00 makes up ",
		"SizeOfHeaders is smaller than AddressOfEntryPoint",
		"AddressOfEntryPoint lies outside the sections' boundaries. AddressOfEntryPoint: 0x0",
	} {
		if strings.HasPrefix(w, prefix) {
			return true
		}
	}
	return false
}
