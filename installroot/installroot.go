// Package installroot writes the files of a WSUS 3.0 installation that
// remediation tools for advisory 954960 read instead of asking the server:
// the file version of Microsoft.UpdateServices.WebServices.Client.dll
// (3.1.6001.65 on SP1, 3.1.6001.66 once KB954960 is in) and the registry
// VersionString (which KB954960 left unchanged).
//
// A tool under test is pointed at the directory as if it were
// %ProgramFiles%:
//
//	err := installroot.Write(dir, installroot.Files{
//		Product:          "Windows Server Update Services 3.0 SP1",
//		VersionString:    "3.1.6001.65",
//		ClientDLLVersion: "3.1.6001.65",
//	})
//	// dir/Update Services/WebServices/ClientWebService/bin/Microsoft.UpdateServices.WebServices.Client.dll
//	// dir/registry.reg
//
// The DLL is a real, minimal PE32 resource-only DLL whose version resource
// Windows Explorer, GetFileVersionInfo, PowerShell's VersionInfo and Python's
// pefile read like the original's. ReadVersionInfo reads it back.
package installroot

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ClientDLLPath is where WSUS 3.0 puts the DLL that KB954960 replaced,
// relative to %ProgramFiles%, with forward slashes.
const ClientDLLPath = "Update Services/WebServices/ClientWebService/bin/" + ClientDLLName

// ClientDLLName is the DLL's file name, also its OriginalFilename.
const ClientDLLName = "Microsoft.UpdateServices.WebServices.Client.dll"

// RegistryFile is the .reg file, at the root, that holds the registry values
// of the installation.
const RegistryFile = "registry.reg"

// RegistrySetupKey is the key of WSUS's VersionString value.
const RegistrySetupKey = `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Update Services\Server\Setup`

// Files is what the written installation says about the server.
type Files struct {
	// Product names the build, e.g. "Windows Server Update Services 3.0
	// SP1"; it is written as a comment of the .reg file, for people.
	Product string
	// VersionString is the registry VersionString, e.g. "3.1.6001.65".
	VersionString string
	// ClientDLLVersion is the DLL's file and product version, four dotted
	// numbers up to 65535, e.g. "3.1.6001.66".
	ClientDLLVersion string
}

// Write writes the installation under dir, creating directories as needed.
// Each file is replaced atomically (written to a temporary file, then
// renamed), so a tool reading concurrently sees the old file or the new one,
// never half of one.
func Write(dir string, f Files) error {
	dll, err := ClientDLL(f.ClientDLLVersion)
	if err != nil {
		return err
	}
	reg, err := registry(f)
	if err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, filepath.FromSlash(ClientDLLPath)), dll); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, RegistryFile), reg)
}

// registry is the .reg file of f, in the format regedit imports. Regedit
// exports UTF-16; the content here is ASCII, which regedit reads the same
// and shell tools can grep.
func registry(f Files) ([]byte, error) {
	for _, s := range []string{f.Product, f.VersionString} {
		for _, r := range s {
			if r < 0x20 || r > 0x7e {
				return nil, fmt.Errorf("registry value %q: only printable ASCII is written", s)
			}
		}
	}
	var b strings.Builder
	b.WriteString("Windows Registry Editor Version 5.00\r\n\r\n")
	if f.Product != "" {
		b.WriteString("; " + f.Product + "\r\n")
	}
	b.WriteString("[" + RegistrySetupKey + "]\r\n")
	b.WriteString(`"VersionString"="` + regEscape(f.VersionString) + "\"\r\n\r\n")
	return []byte(b.String()), nil
}

// regEscape escapes a REG_SZ value as a .reg file quotes it.
func regEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// writeAtomic replaces path with data through a temporary file in the same
// directory, so the rename cannot cross file systems.
func writeAtomic(path string, data []byte) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
