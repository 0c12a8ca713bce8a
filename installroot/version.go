package installroot

import (
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf16"
)

// VersionInfo is what a PE file's version resource says, as Explorer's
// Details tab or PowerShell's (Get-Item f).VersionInfo show it.
type VersionInfo struct {
	// FileVersion and ProductVersion are VS_FIXEDFILEINFO's, dotted: what
	// remediation tools compare.
	FileVersion    string
	ProductVersion string
	// Strings are the StringFileInfo values of the first string table,
	// e.g. Strings["OriginalFilename"].
	Strings map[string]string
	// Translations are VarFileInfo's language and code page pairs, e.g.
	// 0x04B00409 for U.S. English, Unicode.
	Translations []uint32
}

// ReadVersionInfo reads the version resource (RT_VERSION) of the PE file at
// path: a DLL Write made, or any other, such as a real WSUS server's.
func ReadVersionInfo(path string) (*VersionInfo, error) {
	f, err := pe.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := versionResource(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	vi, err := parseVersionInfo(data)
	if err != nil {
		return nil, fmt.Errorf("%s: version resource: %w", path, err)
	}
	return vi, nil
}

// errNoVersion is a PE file without a version resource.
var errNoVersion = errors.New("no version resource")

// versionResource finds the first RT_VERSION resource's bytes by walking the
// resource directory: type, then name, then language.
func versionResource(f *pe.File) ([]byte, error) {
	var dir pe.DataDirectory
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		if oh.NumberOfRvaAndSizes > directoryEntryResource {
			dir = oh.DataDirectory[directoryEntryResource]
		}
	case *pe.OptionalHeader64:
		if oh.NumberOfRvaAndSizes > directoryEntryResource {
			dir = oh.DataDirectory[directoryEntryResource]
		}
	}
	if dir.VirtualAddress == 0 {
		return nil, errNoVersion
	}
	var sec *pe.Section
	for _, s := range f.Sections {
		if dir.VirtualAddress >= s.VirtualAddress && dir.VirtualAddress < s.VirtualAddress+max(s.VirtualSize, s.Size) {
			sec = s
		}
	}
	if sec == nil {
		return nil, fmt.Errorf("resource directory at RVA %#x is in no section", dir.VirtualAddress)
	}
	raw, err := sec.Data()
	if err != nil {
		return nil, err
	}
	base := dir.VirtualAddress - sec.VirtualAddress
	rsrc := raw[base:]
	le := binary.LittleEndian
	// entry returns the offset the first entry of the directory at off
	// points to, preferring id when it is among the ID entries.
	entry := func(off uint32, id uint32, any bool) (uint32, bool) {
		if uint64(off)+16 > uint64(len(rsrc)) {
			return 0, false
		}
		named, ids := uint32(le.Uint16(rsrc[off+12:])), uint32(le.Uint16(rsrc[off+14:]))
		for i := named; i < named+ids; i++ {
			e := off + 16 + 8*i
			if uint64(e)+8 > uint64(len(rsrc)) {
				return 0, false
			}
			if any || le.Uint32(rsrc[e:]) == id {
				return le.Uint32(rsrc[e+4:]), true
			}
		}
		return 0, false
	}
	const subdirectory = 0x80000000
	off, ok := entry(0, rtVersion, false)
	if !ok || off&subdirectory == 0 {
		return nil, errNoVersion
	}
	if off, ok = entry(off&^subdirectory, 0, true); !ok || off&subdirectory == 0 {
		return nil, errNoVersion
	}
	if off, ok = entry(off&^subdirectory, 0, true); !ok || off&subdirectory != 0 {
		return nil, errNoVersion
	}
	if uint64(off)+16 > uint64(len(rsrc)) {
		return nil, errNoVersion
	}
	rva, size := le.Uint32(rsrc[off:]), le.Uint32(rsrc[off+4:])
	start := uint64(rva) - uint64(sec.VirtualAddress)
	if rva < sec.VirtualAddress || start+uint64(size) > uint64(len(raw)) {
		return nil, fmt.Errorf("version resource at RVA %#x, %d bytes, is outside %s", rva, size, sec.Name)
	}
	return raw[start : start+uint64(size)], nil
}

// block is one parsed node of a version resource.
type block struct {
	key      string
	value    []byte
	children []byte
}

// parseBlock reads the block at the start of b and returns it with the
// bytes after it (from the next 32-bit boundary).
func parseBlock(b []byte) (block, []byte, error) {
	if len(b) < 6 {
		return block{}, nil, io.ErrUnexpectedEOF
	}
	le := binary.LittleEndian
	length, valueLength, typ := int(le.Uint16(b)), int(le.Uint16(b[2:])), le.Uint16(b[4:])
	if length < 6 || length > len(b) {
		return block{}, nil, fmt.Errorf("block length %d of %d bytes", length, len(b))
	}
	node, rest := b[:length], b[min(align(length, 4), len(b)):]
	var key []uint16
	i := 6
	for ; i+1 < len(node); i += 2 {
		c := le.Uint16(node[i:])
		if c == 0 {
			break
		}
		key = append(key, c)
	}
	i = align(i+2, 4)
	if typ == 1 {
		valueLength *= 2 // counted in WORDs
	}
	if i > len(node) || i+valueLength > len(node) {
		return block{}, nil, fmt.Errorf("block %q: value of %d bytes overruns it", string(utf16.Decode(key)), valueLength)
	}
	blk := block{key: string(utf16.Decode(key)), value: node[i : i+valueLength]}
	blk.children = node[min(align(i+valueLength, 4), len(node)):]
	return blk, rest, nil
}

// children parses the blocks that follow one another in b.
func children(b []byte) ([]block, error) {
	var out []block
	for len(b) > 0 {
		blk, rest, err := parseBlock(b)
		if err != nil {
			return nil, err
		}
		out = append(out, blk)
		b = rest
	}
	return out, nil
}

// utf16String decodes a NUL-terminated UTF-16LE value.
func utf16String(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

func parseVersionInfo(b []byte) (*VersionInfo, error) {
	root, _, err := parseBlock(b)
	if err != nil {
		return nil, err
	}
	if root.key != "VS_VERSION_INFO" {
		return nil, fmt.Errorf("root block is %q, not VS_VERSION_INFO", root.key)
	}
	le := binary.LittleEndian
	if len(root.value) < 52 || le.Uint32(root.value) != fixedFileInfoSig {
		return nil, errors.New("no VS_FIXEDFILEINFO")
	}
	dotted := func(ms, ls uint32) string {
		return fmt.Sprintf("%d.%d.%d.%d", ms>>16, ms&0xFFFF, ls>>16, ls&0xFFFF)
	}
	vi := &VersionInfo{
		FileVersion:    dotted(le.Uint32(root.value[8:]), le.Uint32(root.value[12:])),
		ProductVersion: dotted(le.Uint32(root.value[16:]), le.Uint32(root.value[20:])),
		Strings:        map[string]string{},
	}
	kids, err := children(root.children)
	if err != nil {
		return nil, err
	}
	for _, k := range kids {
		switch k.key {
		case "StringFileInfo":
			tables, err := children(k.children)
			if err != nil {
				return nil, err
			}
			if len(tables) == 0 {
				continue
			}
			strs, err := children(tables[0].children)
			if err != nil {
				return nil, err
			}
			for _, s := range strs {
				vi.Strings[s.key] = utf16String(s.value)
			}
		case "VarFileInfo":
			vars, err := children(k.children)
			if err != nil {
				return nil, err
			}
			for _, v := range vars {
				if v.key != "Translation" {
					continue
				}
				for i := 0; i+4 <= len(v.value); i += 4 {
					vi.Translations = append(vi.Translations, le.Uint32(v.value[i:]))
				}
			}
		}
	}
	return vi, nil
}
