//! A minimal reader for the zip archives `torch.save` writes.
//!
//! PyTorch stores every record uncompressed (method 0) and aligns tensor data, so a record is a
//! plain byte range of the (memory-mapped) file. Compressed entries are reported as unsupported
//! rather than inflated. Zip64 is handled, since checkpoints over 4 GiB use it.

use std::collections::HashMap;
use std::ops::Range;

use crate::error::{Error, Result};

const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const LOCAL_SIG: u32 = 0x0403_4b50;

/// The records of an archive: name → byte range of the stored data in the file.
#[derive(Debug)]
pub(crate) struct ZipIndex {
    pub entries: HashMap<String, Range<usize>>,
    /// Names in central-directory order.
    pub names: Vec<String>,
}

fn zerr(offset: usize, reason: impl Into<String>) -> Error {
    Error::Zip {
        offset: offset as u64,
        reason: reason.into(),
    }
}

fn slice(data: &[u8], at: usize, n: usize) -> Result<&[u8]> {
    at.checked_add(n)
        .and_then(|end| data.get(at..end))
        .ok_or_else(|| {
            zerr(
                at,
                format!("truncated: needs {n} bytes, file has {}", data.len()),
            )
        })
}

fn u16_at(data: &[u8], at: usize) -> Result<u16> {
    let b = slice(data, at, 2)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(data: &[u8], at: usize) -> Result<u32> {
    let b = slice(data, at, 4)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u64_at(data: &[u8], at: usize) -> Result<u64> {
    let b = slice(data, at, 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Ok(u64::from_le_bytes(a))
}

fn to_usize(v: u64, at: usize, what: &str) -> Result<usize> {
    usize::try_from(v).map_err(|_| zerr(at, format!("{what} {v} does not fit in memory")))
}

/// Parses the central directory of `data`.
pub(crate) fn read_index(data: &[u8]) -> Result<ZipIndex> {
    if data.len() < 22 {
        return Err(zerr(0, "file too small for a zip archive"));
    }
    // The end-of-central-directory record is within the last 22 + 65535 bytes.
    let min = data.len().saturating_sub(22 + 0xffff);
    let mut eocd = None;
    let mut i = data.len() - 22;
    loop {
        if u32_at(data, i)? == EOCD_SIG {
            eocd = Some(i);
            break;
        }
        if i == min {
            break;
        }
        i -= 1;
    }
    let eocd = eocd.ok_or_else(|| zerr(data.len(), "no end-of-central-directory record"))?;
    let mut count = u64::from(u16_at(data, eocd + 10)?);
    let mut cd_size = u64::from(u32_at(data, eocd + 12)?);
    let mut cd_offset = u64::from(u32_at(data, eocd + 16)?);
    if count == 0xffff || cd_size == 0xffff_ffff || cd_offset == 0xffff_ffff {
        let loc = eocd
            .checked_sub(20)
            .ok_or_else(|| zerr(eocd, "zip64 locator missing"))?;
        if u32_at(data, loc)? != ZIP64_LOCATOR_SIG {
            return Err(zerr(loc, "zip64 locator missing"));
        }
        let z = to_usize(u64_at(data, loc + 8)?, loc, "zip64 record offset")?;
        if u32_at(data, z)? != ZIP64_EOCD_SIG {
            return Err(zerr(z, "bad zip64 end-of-central-directory signature"));
        }
        count = u64_at(data, z + 32)?;
        cd_size = u64_at(data, z + 40)?;
        cd_offset = u64_at(data, z + 48)?;
    }
    let cd_offset = to_usize(cd_offset, eocd, "central directory offset")?;
    let cd_size = to_usize(cd_size, eocd, "central directory size")?;
    let cd = slice(data, cd_offset, cd_size)?;
    // Each central entry takes at least 46 bytes: a declared count larger than that is a lie,
    // checked before anything is allocated from it.
    if count > (cd.len() / 46) as u64 {
        return Err(zerr(
            eocd,
            format!(
                "declares {count} entries but the central directory holds at most {}",
                cd.len() / 46
            ),
        ));
    }
    let mut entries = HashMap::new();
    let mut names = Vec::new();
    let mut p = 0usize;
    for _ in 0..count {
        let at = cd_offset + p;
        if u32_at(cd, p)? != CENTRAL_SIG {
            return Err(zerr(at, "bad central directory entry signature"));
        }
        let flags = u16_at(cd, p + 8)?;
        let method = u16_at(cd, p + 10)?;
        let mut csize = u64::from(u32_at(cd, p + 20)?);
        let mut usize_ = u64::from(u32_at(cd, p + 24)?);
        let name_len = usize::from(u16_at(cd, p + 28)?);
        let extra_len = usize::from(u16_at(cd, p + 30)?);
        let comment_len = usize::from(u16_at(cd, p + 32)?);
        let mut local = u64::from(u32_at(cd, p + 42)?);
        let name_bytes = slice(cd, p + 46, name_len)?;
        let name = std::str::from_utf8(name_bytes)
            .map_err(|_| zerr(at, "entry name is not UTF-8"))?
            .to_string();
        let extra = slice(cd, p + 46 + name_len, extra_len)?;
        // Zip64 extended information: present fields replace the saturated 32-bit ones, in order.
        let mut e = 0usize;
        while e + 4 <= extra.len() {
            let id = u16_at(extra, e)?;
            let len = usize::from(u16_at(extra, e + 2)?);
            let body = slice(extra, e + 4, len)?;
            if id == 0x0001 {
                let mut q = 0usize;
                for field in [&mut usize_, &mut csize, &mut local] {
                    if *field == 0xffff_ffff {
                        *field = u64_at(body, q)?;
                        q += 8;
                    }
                }
            }
            e += 4 + len;
        }
        p += 46 + name_len + extra_len + comment_len;
        if flags & 1 != 0 {
            return Err(Error::Unsupported {
                what: format!("encrypted zip entry `{name}`"),
            });
        }
        if method != 0 {
            return Err(Error::Unsupported {
                what: format!(
                    "zip entry `{name}` is compressed (method {method}); torch.save stores entries uncompressed"
                ),
            });
        }
        if csize != usize_ {
            return Err(zerr(
                at,
                format!("stored entry `{name}` has different compressed and uncompressed sizes"),
            ));
        }
        let local = to_usize(local, at, "local header offset")?;
        if u32_at(data, local)? != LOCAL_SIG {
            return Err(zerr(
                local,
                format!("bad local header signature for `{name}`"),
            ));
        }
        let lname = usize::from(u16_at(data, local + 26)?);
        let lextra = usize::from(u16_at(data, local + 28)?);
        let start = local
            .checked_add(30 + lname + lextra)
            .ok_or_else(|| zerr(local, "offset overflow"))?;
        let len = to_usize(csize, at, "entry size")?;
        let end = start
            .checked_add(len)
            .ok_or_else(|| zerr(local, "offset overflow"))?;
        if end > data.len() {
            return Err(Error::Truncated {
                what: format!("zip entry `{name}`"),
                declared: len as u64,
                available: data.len().saturating_sub(start) as u64,
            });
        }
        if entries.insert(name.clone(), start..end).is_some() {
            return Err(zerr(at, format!("duplicate zip entry `{name}`")));
        }
        names.push(name);
    }
    Ok(ZipIndex { entries, names })
}
