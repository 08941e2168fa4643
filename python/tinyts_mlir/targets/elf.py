"""Minimal reader for 32-bit little-endian ELF files (section headers, symbols).

Enough to size an arm-none-eabi image and to read a few constants from it
without needing binutils.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ElfSection", "ElfSymbol", "Elf32"]

SHT_PROGBITS = 1
SHT_SYMTAB = 2
SHT_NOBITS = 8
SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
STT_FUNC = 2


@dataclass(frozen=True)
class ElfSection:
    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int

    @property
    def alloc(self) -> bool:
        return bool(self.flags & SHF_ALLOC)

    @property
    def nobits(self) -> bool:
        return self.type == SHT_NOBITS


@dataclass(frozen=True)
class ElfSymbol:
    name: str
    value: int
    size: int
    type: int


class Elf32:
    """A parsed ELF32 little-endian file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.data = self.path.read_bytes()
        d = self.data
        if d[:4] != b"\x7fELF" or d[4] != 1 or d[5] != 1:
            raise ValueError(f"{self.path}: not a 32-bit little-endian ELF file")
        (shoff,) = struct.unpack_from("<I", d, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x2E)
        raw = [struct.unpack_from("<10I", d, shoff + i * shentsize) for i in range(shnum)]
        strtab = raw[shstrndx]
        self.sections: list[ElfSection] = [
            ElfSection(self._cstr(strtab[4] + r[0]), r[1], r[2], r[3], r[4], r[5]) for r in raw
        ]
        self._raw = raw
        self._symbols: dict[str, ElfSymbol] | None = None

    def _cstr(self, off: int) -> str:
        end = self.data.index(b"\0", off)
        return self.data[off:end].decode("utf-8", "replace")

    def section(self, name: str) -> ElfSection | None:
        return next((s for s in self.sections if s.name == name), None)

    @property
    def symbols(self) -> dict[str, ElfSymbol]:
        if self._symbols is None:
            syms: dict[str, ElfSymbol] = {}
            for r in self._raw:
                if r[1] != SHT_SYMTAB:
                    continue
                stroff = self._raw[r[6]][4]
                for i in range(r[5] // 16):
                    name_off, value, size, info, _other, _shndx = struct.unpack_from(
                        "<IIIBBH", self.data, r[4] + i * 16
                    )
                    if name_off:
                        name = self._cstr(stroff + name_off)
                        syms.setdefault(name, ElfSymbol(name, value, size, info & 0xF))
            self._symbols = syms
        return self._symbols

    def read(self, addr: int, size: int) -> bytes:
        """Bytes of the initialised image at virtual address ``addr``."""
        for s in self.sections:
            if s.alloc and not s.nobits and s.addr <= addr and addr + size <= s.addr + s.size:
                off = s.offset + addr - s.addr
                return self.data[off : off + size]
        raise KeyError(f"address 0x{addr:08x} (+{size}) is not in an initialised section")

    def read_u32(self, symbol: str) -> int:
        sym = self.symbols[symbol]
        return struct.unpack("<I", self.read(sym.value, 4))[0]

    def function_at(self, addr: int) -> str | None:
        """``name+0xoff`` of the function containing ``addr`` (Thumb bit ignored)."""
        addr &= ~1
        best: ElfSymbol | None = None
        for s in self.symbols.values():
            if s.type != STT_FUNC:
                continue
            start = s.value & ~1
            if start <= addr < start + max(s.size, 1) and (best is None or start > best.value & ~1):
                best = s
        if best is None:
            return None
        return f"{best.name}+0x{addr - (best.value & ~1):x}"
