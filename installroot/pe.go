package installroot

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// The DLL is laid out as the PE/COFF specification asks of an image, with
// the smallest alignments the Windows loader accepts for one that is not
// "tiny": headers in the first 0x200 bytes of the file and the first page of
// the image, the one section (.rsrc) at file offset 0x200 and RVA 0x1000.
const (
	fileAlignment    = 0x200
	sectionAlignment = 0x1000
	peOffset         = 0x80 // e_lfanew: after the DOS header and stub
	sizeOfHeaders    = fileAlignment
	rsrcRVA          = sectionAlignment
	rsrcFileOffset   = sizeOfHeaders
	imageBase        = 0x10000000 // the default base of a DLL
	// timeDateStamp is fixed (2008-07-08, the month of KB954960) so that the
	// same version always gives the same bytes.
	timeDateStamp = 0x4872B300
)

// Image file and section constants (PE/COFF specification §3.3, §4.1).
const (
	machineI386             = 0x14c
	fileExecutableImage     = 0x0002
	file32BitMachine        = 0x0100
	fileDLL                 = 0x2000
	optionalMagicPE32       = 0x10b
	subsystemWindowsCUI     = 3
	dllDynamicBase          = 0x0040
	dllNXCompat             = 0x0100
	dllNoSEH                = 0x0400
	scnInitializedData      = 0x00000040
	scnMemRead              = 0x40000000
	directoryEntryResource  = 2
	numberOfRvaAndSizes     = 16
	sizeOfOptionalHeaderP32 = 96 + 8*numberOfRvaAndSizes
)

// Version resource constants (VS_VERSIONINFO, VS_FIXEDFILEINFO).
const (
	rtVersion          = 16
	versionResourceID  = 1 // VS_VERSION_INFO
	langEnglishUS      = 0x0409
	codePageUnicode    = 0x04B0
	fixedFileInfoSig   = 0xFEEF04BD
	vsFFIStrucVersion  = 0x00010000
	vsFFIFileFlagsMask = 0x3F
	vosNTWindows32     = 0x00040004
	vftDLL             = 2
)

// dosStub is the 16-bit program linkers put after the DOS header: it prints
// the message and exits.
var dosStub = append([]byte{
	0x0e, 0x1f, 0xba, 0x0e, 0x00, 0xb4, 0x09, 0xcd, 0x21, 0xb8, 0x01, 0x4c, 0xcd, 0x21,
}, "This program cannot be run in DOS mode.\r\r\n$"...)

// ClientDLL returns Microsoft.UpdateServices.WebServices.Client.dll as a
// resource-only PE32 DLL whose version resource gives version (four dotted
// numbers) as file and product version. It has no code: tools read its
// version, nobody loads it to run.
func ClientDLL(version string) ([]byte, error) {
	v, err := parseVersion(version)
	if err != nil {
		return nil, err
	}
	rsrc := resourceSection(rsrcRVA, versionInfo(v, version))
	rawSize := align(len(rsrc), fileAlignment)

	var b bytes.Buffer
	le := binary.LittleEndian
	put := func(v any) { binary.Write(&b, le, v) } // writes to a bytes.Buffer do not fail

	// DOS header (IMAGE_DOS_HEADER), values as Microsoft's linker sets them.
	put(struct {
		Magic                                  [2]byte
		Cblp, Cp, Crlc, Cparhdr, Minalloc      uint16
		Maxalloc, SS, SP, Csum, IP, CS, Lfarlc uint16
		Ovno                                   uint16
		Res                                    [4]uint16
		OEMID, OEMInfo                         uint16
		Res2                                   [10]uint16
		Lfanew                                 uint32
	}{Magic: [2]byte{'M', 'Z'}, Cblp: 0x90, Cp: 3, Cparhdr: 4, Maxalloc: 0xFFFF, SP: 0xB8, Lfarlc: 0x40, Lfanew: peOffset})
	b.Write(dosStub)
	pad(&b, peOffset)

	b.WriteString("PE\x00\x00")
	put(struct {
		Machine              uint16
		NumberOfSections     uint16
		TimeDateStamp        uint32
		PointerToSymbolTable uint32
		NumberOfSymbols      uint32
		SizeOfOptionalHeader uint16
		Characteristics      uint16
	}{machineI386, 1, timeDateStamp, 0, 0, sizeOfOptionalHeaderP32, fileExecutableImage | file32BitMachine | fileDLL})

	checksumOffset := b.Len() + 64
	var dirs [numberOfRvaAndSizes][2]uint32
	dirs[directoryEntryResource] = [2]uint32{rsrcRVA, uint32(len(rsrc))}
	put(struct {
		Magic                       uint16
		MajorLinkerVersion          uint8
		MinorLinkerVersion          uint8
		SizeOfCode                  uint32
		SizeOfInitializedData       uint32
		SizeOfUninitializedData     uint32
		AddressOfEntryPoint         uint32
		BaseOfCode                  uint32
		BaseOfData                  uint32
		ImageBase                   uint32
		SectionAlignment            uint32
		FileAlignment               uint32
		MajorOperatingSystemVersion uint16
		MinorOperatingSystemVersion uint16
		MajorImageVersion           uint16
		MinorImageVersion           uint16
		MajorSubsystemVersion       uint16
		MinorSubsystemVersion       uint16
		Win32VersionValue           uint32
		SizeOfImage                 uint32
		SizeOfHeaders               uint32
		CheckSum                    uint32
		Subsystem                   uint16
		DllCharacteristics          uint16
		SizeOfStackReserve          uint32
		SizeOfStackCommit           uint32
		SizeOfHeapReserve           uint32
		SizeOfHeapCommit            uint32
		LoaderFlags                 uint32
		NumberOfRvaAndSizes         uint32
		DataDirectory               [numberOfRvaAndSizes][2]uint32
	}{
		Magic:                       optionalMagicPE32,
		MajorLinkerVersion:          8, // Visual Studio 2005, which built WSUS 3.0
		SizeOfInitializedData:       uint32(rawSize),
		BaseOfCode:                  rsrcRVA, // no code; the first section, as linkers write it then
		BaseOfData:                  rsrcRVA,
		ImageBase:                   imageBase,
		SectionAlignment:            sectionAlignment,
		FileAlignment:               fileAlignment,
		MajorOperatingSystemVersion: 4,
		MajorSubsystemVersion:       4,
		SizeOfImage:                 uint32(rsrcRVA + align(len(rsrc), sectionAlignment)),
		SizeOfHeaders:               sizeOfHeaders,
		Subsystem:                   subsystemWindowsCUI,
		DllCharacteristics:          dllDynamicBase | dllNXCompat | dllNoSEH,
		SizeOfStackReserve:          0x100000,
		SizeOfStackCommit:           0x1000,
		SizeOfHeapReserve:           0x100000,
		SizeOfHeapCommit:            0x1000,
		NumberOfRvaAndSizes:         numberOfRvaAndSizes,
		DataDirectory:               dirs,
	})

	put(struct {
		Name                 [8]byte
		VirtualSize          uint32
		VirtualAddress       uint32
		SizeOfRawData        uint32
		PointerToRawData     uint32
		PointerToRelocations uint32
		PointerToLinenumbers uint32
		NumberOfRelocations  uint16
		NumberOfLinenumbers  uint16
		Characteristics      uint32
	}{
		Name:             [8]byte{'.', 'r', 's', 'r', 'c'},
		VirtualSize:      uint32(len(rsrc)),
		VirtualAddress:   rsrcRVA,
		SizeOfRawData:    uint32(rawSize),
		PointerToRawData: rsrcFileOffset,
		Characteristics:  scnInitializedData | scnMemRead,
	})
	pad(&b, rsrcFileOffset)
	b.Write(rsrc)
	pad(&b, rsrcFileOffset+rawSize)

	out := b.Bytes()
	le.PutUint32(out[checksumOffset:], checksum(out, checksumOffset))
	return out, nil
}

// resourceSection is a .rsrc section at rva holding one resource, the
// version resource: the directory tree type → name → language, one data
// entry, then the data (PE/COFF specification §6.9).
func resourceSection(rva int, data []byte) []byte {
	const (
		dirSize        = 16 // IMAGE_RESOURCE_DIRECTORY
		entrySize      = 8  // IMAGE_RESOURCE_DIRECTORY_ENTRY
		dataEntrySize  = 16 // IMAGE_RESOURCE_DATA_ENTRY
		subdirectory   = 0x80000000
		nameDirOffset  = dirSize + entrySize
		langDirOffset  = 2 * (dirSize + entrySize)
		dataEntryOff   = 3 * (dirSize + entrySize)
		dataOffset     = dataEntryOff + dataEntrySize
		majorDirFormat = 4 // what Microsoft's resource compiler writes
	)
	var b bytes.Buffer
	put := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	directory := func(id, offset uint32) {
		put(struct {
			Characteristics, TimeDateStamp uint32
			MajorVersion, MinorVersion     uint16
			NamedEntries, IDEntries        uint16
			ID, Offset                     uint32
		}{MajorVersion: majorDirFormat, IDEntries: 1, ID: id, Offset: offset})
	}
	directory(rtVersion, subdirectory|nameDirOffset)
	directory(versionResourceID, subdirectory|langDirOffset)
	directory(langEnglishUS, dataEntryOff)
	put(struct{ RVA, Size, CodePage, Reserved uint32 }{uint32(rva + dataOffset), uint32(len(data)), 0, 0})
	b.Write(data)
	pad(&b, align(b.Len(), 4))
	return b.Bytes()
}

// dllStrings are the StringFileInfo values of the DLL other than the
// versions, in the order Microsoft's builds write them.
var dllStrings = [][2]string{
	{"CompanyName", "Microsoft Corporation"},
	{"FileDescription", "Microsoft.UpdateServices.WebServices.Client"},
	{"FileVersion", ""},
	{"InternalName", ClientDLLName},
	{"LegalCopyright", "© Microsoft Corporation. All rights reserved."},
	{"OriginalFilename", ClientDLLName},
	{"ProductName", "Microsoft® Windows® Server Update Services"},
	{"ProductVersion", ""},
}

// versionInfo is the VS_VERSIONINFO resource: VS_FIXEDFILEINFO, then a
// StringFileInfo with one table (U.S. English, Unicode) and a VarFileInfo
// whose Translation names that table.
func versionInfo(v [4]uint16, version string) []byte {
	ms := uint32(v[0])<<16 | uint32(v[1])
	ls := uint32(v[2])<<16 | uint32(v[3])
	var fixed bytes.Buffer
	binary.Write(&fixed, binary.LittleEndian, [13]uint32{
		fixedFileInfoSig, vsFFIStrucVersion,
		ms, ls, // FileVersion
		ms, ls, // ProductVersion
		vsFFIFileFlagsMask, 0, // FileFlagsMask, FileFlags
		vosNTWindows32, vftDLL, 0, // FileOS, FileType, FileSubtype
		0, 0, // FileDate
	})

	var strs [][]byte
	for _, kv := range dllStrings {
		val := kv[1]
		if kv[0] == "FileVersion" || kv[0] == "ProductVersion" {
			val = version
		}
		u := utf16z(val)
		// A String's wValueLength counts WORDs, its terminator included.
		strs = append(strs, versionNode(kv[0], 1, uint16(len(u)/2), u))
	}
	table := versionNode(fmt.Sprintf("%04X%04X", langEnglishUS, codePageUnicode), 1, 0, nil, strs...)
	stringFileInfo := versionNode("StringFileInfo", 1, 0, nil, table)
	var translation [4]byte
	binary.LittleEndian.PutUint16(translation[0:], langEnglishUS)
	binary.LittleEndian.PutUint16(translation[2:], codePageUnicode)
	varFileInfo := versionNode("VarFileInfo", 1, 0, nil, versionNode("Translation", 0, 4, translation[:]))
	return versionNode("VS_VERSION_INFO", 0, uint16(fixed.Len()), fixed.Bytes(), stringFileInfo, varFileInfo)
}

// versionNode is one block of a version resource: wLength, wValueLength,
// wType (1 text, 0 binary), the key, the value and the children, each
// starting on a 32-bit boundary. wLength covers the block up to the end of
// its last child, without trailing padding.
func versionNode(key string, typ, valueLength uint16, value []byte, children ...[]byte) []byte {
	var b bytes.Buffer
	b.Write(make([]byte, 4)) // wLength and wValueLength, set below
	binary.Write(&b, binary.LittleEndian, typ)
	b.Write(utf16z(key))
	if len(value) > 0 {
		pad(&b, align(b.Len(), 4))
		b.Write(value)
	}
	for _, c := range children {
		pad(&b, align(b.Len(), 4))
		b.Write(c)
	}
	out := b.Bytes()
	binary.LittleEndian.PutUint16(out[0:], uint16(len(out)))
	binary.LittleEndian.PutUint16(out[2:], valueLength)
	return out
}

// utf16z is s in UTF-16LE with a terminating NUL.
func utf16z(s string) []byte {
	u := utf16.Encode([]rune(s))
	out := make([]byte, 0, 2*len(u)+2)
	for _, c := range u {
		out = binary.LittleEndian.AppendUint16(out, c)
	}
	return append(out, 0, 0)
}

// parseVersion splits "a.b.c.d", each a number up to 65535, as
// VS_FIXEDFILEINFO holds a version.
func parseVersion(s string) ([4]uint16, error) {
	var v [4]uint16
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return v, fmt.Errorf("file version %q: want four dotted numbers, as 3.1.6001.65", s)
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return v, fmt.Errorf("file version %q: part %q is not a number up to 65535", s, p)
		}
		v[i] = uint16(n)
	}
	return v, nil
}

// checksum is the image checksum Windows verifies for drivers and critical
// DLLs (the algorithm of ImageHlp's CheckSumMappedFile): the 16-bit
// one's-complement-style sum of the file with the CheckSum field taken as
// zero, plus the file's length.
func checksum(file []byte, checksumOffset int) uint32 {
	var sum uint64
	for i := 0; i+1 < len(file); i += 2 {
		if i == checksumOffset || i == checksumOffset+2 {
			continue
		}
		sum += uint64(binary.LittleEndian.Uint16(file[i:]))
		sum = (sum & 0xFFFF) + (sum >> 16)
	}
	if len(file)%2 == 1 {
		sum += uint64(file[len(file)-1])
		sum = (sum & 0xFFFF) + (sum >> 16)
	}
	sum = (sum & 0xFFFF) + (sum >> 16)
	return uint32(sum) + uint32(len(file))
}

// pad appends zero bytes to b up to length n.
func pad(b *bytes.Buffer, n int) {
	if b.Len() < n {
		b.Write(make([]byte, n-b.Len()))
	}
}

// align rounds n up to a multiple of a, a power of two.
func align(n, a int) int { return (n + a - 1) &^ (a - 1) }
