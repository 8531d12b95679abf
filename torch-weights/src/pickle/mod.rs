//! A pickle reader that never executes code.
//!
//! This is a small virtual machine for the opcodes that protocol 0–5 pickles written by
//! `torch.save` use. Globals are resolved against an allowlist of tensor and container types (the
//! idea behind PyTorch's `weights_only=True`); any other global is an [`Error::ForbiddenGlobal`]
//! raised as soon as the opcode naming it is read. "Calling" an allowlisted global only builds a
//! plain data value: no user code exists to run.
//!
//! Objects live in an arena and values refer to them by index, so shared references (the memo)
//! behave as in Python, cycles cannot leak, and every allocation is bounded by the input length.

mod globals;
mod opcodes;
mod value;

use std::collections::HashMap;
use std::rc::Rc;

use crate::error::{Error, Result};
use globals::lookup_global;
use opcodes as op;
use value::{latin1, long_from_bytes};
pub(crate) use value::{Dict, Global, Obj, ObjId, Pickle, StorageRef, TensorRef, Value};

/// Reads one pickle from the start of `data`. Returns the result and the number of bytes
/// consumed (up to and including `STOP`).
pub(crate) fn read_pickle(data: &[u8]) -> Result<(Pickle, usize)> {
    let mut vm = Vm {
        data,
        pos: 0,
        op_pos: 0,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        objs: Vec::new(),
        budget: (data.len() as u64)
            .saturating_mul(64)
            .saturating_add(1 << 20),
    };
    let root = vm.run()?;
    Ok((
        Pickle {
            objs: vm.objs,
            root,
        },
        vm.pos,
    ))
}

struct Vm<'a> {
    data: &'a [u8],
    pos: usize,
    op_pos: usize,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: HashMap<u64, Value>,
    objs: Vec<Obj>,
    /// Elements copied so far may not exceed this: sharing through the memo lets a small file
    /// ask for the same large container to be copied again and again.
    budget: u64,
}

impl<'a> Vm<'a> {
    fn err(&self, reason: impl Into<String>) -> Error {
        Error::Pickle {
            offset: self.op_pos as u64,
            reason: reason.into(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let data: &'a [u8] = self.data;
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= data.len())
            .ok_or_else(|| {
                self.err(format!(
                    "truncated: needs {n} bytes at {} but only {} remain",
                    self.pos,
                    data.len().saturating_sub(self.pos)
                ))
            })?;
        let s = &data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn take_len(&mut self, n: u64) -> Result<&'a [u8]> {
        let n = usize::try_from(n).map_err(|_| self.err(format!("length {n} too large")))?;
        self.take(n)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn line(&mut self) -> Result<&'a str> {
        let data: &'a [u8] = self.data;
        let rest = &data[self.pos.min(data.len())..];
        let n = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| self.err("unterminated text line"))?;
        let line =
            std::str::from_utf8(&rest[..n]).map_err(|_| self.err("text line is not UTF-8"))?;
        self.pos += n + 1;
        Ok(line)
    }

    fn pop(&mut self) -> Result<Value> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(self.err("stack underflow"));
        }
        self.stack.pop().ok_or_else(|| self.err("stack underflow"))
    }

    fn top(&self) -> Result<&Value> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(self.err("stack underflow"));
        }
        self.stack.last().ok_or_else(|| self.err("stack underflow"))
    }

    fn pop_mark(&mut self) -> Result<Vec<Value>> {
        let m = self
            .marks
            .pop()
            .ok_or_else(|| self.err("no MARK on the stack"))?;
        if m > self.stack.len() {
            return Err(self.err("MARK above stack top"));
        }
        Ok(self.stack.split_off(m))
    }

    fn new_obj(&mut self, o: Obj) -> Value {
        self.objs.push(o);
        Value::Obj(self.objs.len() - 1)
    }

    fn push_obj(&mut self, o: Obj) {
        let v = self.new_obj(o);
        self.stack.push(v);
    }

    fn obj_mut(&mut self, v: &Value) -> Option<&mut Obj> {
        match v {
            Value::Obj(id) => self.objs.get_mut(*id),
            _ => None,
        }
    }

    fn memo_get(&self, idx: u64) -> Result<Value> {
        self.memo
            .get(&idx)
            .cloned()
            .ok_or_else(|| self.err(format!("memo key {idx} not set")))
    }

    fn memo_put(&mut self, idx: u64) -> Result<()> {
        let v = self.top()?.clone();
        self.memo.insert(idx, v);
        Ok(())
    }

    fn str_value(&self, bytes: &[u8]) -> Result<Value> {
        let s = std::str::from_utf8(bytes).map_err(|_| self.err("string is not valid UTF-8"))?;
        Ok(Value::Str(Rc::from(s)))
    }

    fn run(&mut self) -> Result<Value> {
        loop {
            self.op_pos = self.pos;
            let opcode = self.u8()?;
            match opcode {
                op::PROTO => {
                    let p = self.u8()?;
                    if p > 5 {
                        return Err(self.err(format!("unsupported pickle protocol {p}")));
                    }
                }
                op::FRAME => {
                    let n = self.u64()?;
                    let remaining = (self.data.len() - self.pos) as u64;
                    if n > remaining {
                        return Err(
                            self.err(format!("frame of {n} bytes but only {remaining} remain"))
                        );
                    }
                }
                op::STOP => {
                    let v = self.pop()?;
                    return Ok(v);
                }
                op::MARK => self.marks.push(self.stack.len()),
                op::POP => {
                    self.pop()?;
                }
                op::POP_MARK => {
                    self.pop_mark()?;
                }
                op::DUP => {
                    let v = self.top()?.clone();
                    self.stack.push(v);
                }
                op::NONE => self.stack.push(Value::None),
                op::NEWTRUE => self.stack.push(Value::Bool(true)),
                op::NEWFALSE => self.stack.push(Value::Bool(false)),
                op::BININT => {
                    let v = self.u32()? as i32;
                    self.stack.push(Value::Int(i64::from(v)));
                }
                op::BININT1 => {
                    let v = self.u8()?;
                    self.stack.push(Value::Int(i64::from(v)));
                }
                op::BININT2 => {
                    let v = self.u16()?;
                    self.stack.push(Value::Int(i64::from(v)));
                }
                op::LONG1 => {
                    let n = self.u8()?;
                    let b = self.take(usize::from(n))?;
                    self.stack.push(long_from_bytes(b));
                }
                op::LONG4 => {
                    let n = self.u32()? as i32;
                    if n < 0 {
                        return Err(self.err("negative LONG4 length"));
                    }
                    let b = self.take_len(n as u64)?;
                    self.stack.push(long_from_bytes(b));
                }
                op::INT => {
                    let line = self.line()?;
                    let v = match line {
                        "00" => Value::Bool(false),
                        "01" => Value::Bool(true),
                        s => Value::Int(
                            s.trim()
                                .parse::<i64>()
                                .map_err(|_| self.err(format!("invalid INT literal {s:?}")))?,
                        ),
                    };
                    self.stack.push(v);
                }
                op::LONG => {
                    let line = self.line()?;
                    let s = line.trim().trim_end_matches('L');
                    let v = s
                        .parse::<i64>()
                        .map_err(|_| self.err(format!("invalid LONG literal {line:?}")))?;
                    self.stack.push(Value::Int(v));
                }
                op::FLOAT => {
                    let line = self.line()?;
                    let v = line
                        .trim()
                        .parse::<f64>()
                        .map_err(|_| self.err(format!("invalid FLOAT literal {line:?}")))?;
                    self.stack.push(Value::Float(v));
                }
                op::BINFLOAT => {
                    let v = f64::from_bits(u64::from_be_bytes(
                        self.take(8)?
                            .try_into()
                            .map_err(|_| self.err("truncated float"))?,
                    ));
                    self.stack.push(Value::Float(v));
                }
                op::SHORT_BINUNICODE => {
                    let n = self.u8()?;
                    let b = self.take(usize::from(n))?;
                    let v = self.str_value(b)?;
                    self.stack.push(v);
                }
                op::BINUNICODE => {
                    let n = self.u32()?;
                    let b = self.take_len(u64::from(n))?;
                    let v = self.str_value(b)?;
                    self.stack.push(v);
                }
                op::BINUNICODE8 => {
                    let n = self.u64()?;
                    let b = self.take_len(n)?;
                    let v = self.str_value(b)?;
                    self.stack.push(v);
                }
                op::SHORT_BINSTRING => {
                    // Python 2 `str`: bytes, decoded as latin-1 by torch.load's default encoding.
                    let n = self.u8()?;
                    let b = self.take(usize::from(n))?;
                    self.stack.push(Value::Str(Rc::from(latin1(b).as_str())));
                }
                op::BINSTRING => {
                    let n = self.u32()? as i32;
                    if n < 0 {
                        return Err(self.err("negative BINSTRING length"));
                    }
                    let b = self.take_len(n as u64)?;
                    self.stack.push(Value::Str(Rc::from(latin1(b).as_str())));
                }
                op::SHORT_BINBYTES => {
                    let n = self.u8()?;
                    let b = self.take(usize::from(n))?;
                    self.stack.push(Value::Bytes(Rc::from(b)));
                }
                op::BINBYTES => {
                    let n = self.u32()?;
                    let b = self.take_len(u64::from(n))?;
                    self.stack.push(Value::Bytes(Rc::from(b)));
                }
                op::BINBYTES8 | op::BYTEARRAY8 => {
                    let n = self.u64()?;
                    let b = self.take_len(n)?;
                    self.stack.push(Value::Bytes(Rc::from(b)));
                }
                op::EMPTY_TUPLE => self.push_obj(Obj::Tuple(Vec::new())),
                op::TUPLE1 | op::TUPLE2 | op::TUPLE3 => {
                    let n = usize::from(opcode - op::TUPLE1 + 1);
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop()?);
                    }
                    items.reverse();
                    self.push_obj(Obj::Tuple(items));
                }
                op::TUPLE => {
                    let items = self.pop_mark()?;
                    self.push_obj(Obj::Tuple(items));
                }
                op::EMPTY_LIST => self.push_obj(Obj::List(Vec::new())),
                op::LIST => {
                    let items = self.pop_mark()?;
                    self.push_obj(Obj::List(items));
                }
                op::APPEND => {
                    let v = self.pop()?;
                    let list = self.top()?.clone();
                    self.extend_list(&list, vec![v])?;
                }
                op::APPENDS => {
                    let items = self.pop_mark()?;
                    let list = self.top()?.clone();
                    self.extend_list(&list, items)?;
                }
                op::EMPTY_DICT => self.push_obj(Obj::Dict(Dict::default())),
                op::DICT => {
                    let items = self.pop_mark()?;
                    let mut d = Dict::default();
                    self.fill_dict(&mut d, items)?;
                    self.push_obj(Obj::Dict(d));
                }
                op::SETITEM => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    let target = self.top()?.clone();
                    self.set_items(&target, vec![k, v])?;
                }
                op::SETITEMS => {
                    let items = self.pop_mark()?;
                    let target = self.top()?.clone();
                    self.set_items(&target, items)?;
                }
                op::EMPTY_SET => self.push_obj(Obj::Set(Vec::new())),
                op::ADDITEMS => {
                    let items = self.pop_mark()?;
                    let target = self.top()?.clone();
                    match self.obj_mut(&target) {
                        Some(Obj::Set(s)) => s.extend(items),
                        _ => return Err(self.err("ADDITEMS target is not a set")),
                    }
                }
                op::FROZENSET => {
                    let items = self.pop_mark()?;
                    self.push_obj(Obj::Set(items));
                }
                op::GET => {
                    let line = self.line()?;
                    let idx = line
                        .trim()
                        .parse::<u64>()
                        .map_err(|_| self.err(format!("invalid GET index {line:?}")))?;
                    let v = self.memo_get(idx)?;
                    self.stack.push(v);
                }
                op::BINGET => {
                    let idx = u64::from(self.u8()?);
                    let v = self.memo_get(idx)?;
                    self.stack.push(v);
                }
                op::LONG_BINGET => {
                    let idx = u64::from(self.u32()?);
                    let v = self.memo_get(idx)?;
                    self.stack.push(v);
                }
                op::PUT => {
                    let line = self.line()?;
                    let idx = line
                        .trim()
                        .parse::<u64>()
                        .map_err(|_| self.err(format!("invalid PUT index {line:?}")))?;
                    self.memo_put(idx)?;
                }
                op::BINPUT => {
                    let idx = u64::from(self.u8()?);
                    self.memo_put(idx)?;
                }
                op::LONG_BINPUT => {
                    let idx = u64::from(self.u32()?);
                    self.memo_put(idx)?;
                }
                op::MEMOIZE => {
                    let idx = self.memo.len() as u64;
                    self.memo_put(idx)?;
                }
                op::GLOBAL => {
                    let module = self.line()?;
                    let name = self.line()?;
                    let g = lookup_global(module, name, self.op_pos as u64)?;
                    self.push_obj(Obj::Global(g));
                }
                op::STACK_GLOBAL => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (Value::Str(module), Value::Str(name)) = (&module, &name) else {
                        return Err(self.err("STACK_GLOBAL needs two strings"));
                    };
                    let g = lookup_global(module, name, self.op_pos as u64)?;
                    self.push_obj(Obj::Global(g));
                }
                op::INST => {
                    let module = self.line()?;
                    let name = self.line()?;
                    let g = lookup_global(module, name, self.op_pos as u64)?;
                    let args = self.pop_mark()?;
                    let v = self.call(g, args)?;
                    self.stack.push(v);
                }
                op::OBJ => {
                    let mut items = self.pop_mark()?;
                    if items.is_empty() {
                        return Err(self.err("OBJ without a class"));
                    }
                    let cls = items.remove(0);
                    let g = self.global_of(&cls)?;
                    let v = self.call(g, items)?;
                    self.stack.push(v);
                }
                op::REDUCE => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let g = self.global_of(&callable)?;
                    let args = self.tuple_items(&args)?;
                    let v = self.call(g, args)?;
                    self.stack.push(v);
                }
                op::NEWOBJ => {
                    let args = self.pop()?;
                    let cls = self.pop()?;
                    let g = self.global_of(&cls)?;
                    let args = self.tuple_items(&args)?;
                    let v = self.call(g, args)?;
                    self.stack.push(v);
                }
                op::NEWOBJ_EX => {
                    let _kwargs = self.pop()?;
                    let args = self.pop()?;
                    let cls = self.pop()?;
                    let g = self.global_of(&cls)?;
                    let args = self.tuple_items(&args)?;
                    let v = self.call(g, args)?;
                    self.stack.push(v);
                }
                op::BUILD => {
                    // Setting state on an allowlisted object: an OrderedDict's `_metadata`, a
                    // tensor's Python attributes. None of it matters for the weights.
                    let _state = self.pop()?;
                    self.top()?;
                }
                op::BINPERSID => {
                    let pid = self.pop()?;
                    let v = self.persistent_load(&pid)?;
                    self.stack.push(v);
                }
                op::PERSID => {
                    let line = self.line()?;
                    return Err(Error::Unsupported {
                        what: format!("text persistent id {line:?}"),
                    });
                }
                other => {
                    return Err(Error::UnsupportedOpcode {
                        opcode: other,
                        offset: self.op_pos as u64,
                    })
                }
            }
        }
    }

    fn extend_list(&mut self, list: &Value, items: Vec<Value>) -> Result<()> {
        match self.obj_mut(list) {
            Some(Obj::List(l)) => {
                l.extend(items);
                Ok(())
            }
            Some(Obj::Set(s)) => {
                s.extend(items);
                Ok(())
            }
            _ => Err(self.err("APPEND target is not a list")),
        }
    }

    fn fill_dict(&self, d: &mut Dict, items: Vec<Value>) -> Result<()> {
        if items.len() % 2 != 0 {
            return Err(self.err("odd number of items for a dict"));
        }
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            d.insert(k, v);
        }
        Ok(())
    }

    fn set_items(&mut self, target: &Value, items: Vec<Value>) -> Result<()> {
        let mut d = match self.obj_mut(target) {
            Some(Obj::Dict(d)) => std::mem::take(d),
            _ => return Err(self.err("SETITEM target is not a dict")),
        };
        let r = self.fill_dict(&mut d, items);
        if let Some(Obj::Dict(slot)) = self.obj_mut(target) {
            *slot = d;
        }
        r
    }

    fn global_of(&self, v: &Value) -> Result<Global> {
        match v {
            Value::Obj(id) => match self.objs.get(*id) {
                Some(Obj::Global(g)) => Ok(*g),
                _ => Err(self.err("calling an object that is not a global")),
            },
            _ => Err(self.err("calling an object that is not a global")),
        }
    }

    fn charge(&mut self, n: usize) -> Result<()> {
        self.budget = self
            .budget
            .checked_sub(n as u64)
            .ok_or_else(|| self.err("pickle copies more data than its size allows"))?;
        Ok(())
    }

    fn tuple_items(&mut self, v: &Value) -> Result<Vec<Value>> {
        let n = match self.objs_get(v) {
            Some(Obj::Tuple(t)) => t.len(),
            _ => 0,
        };
        self.charge(n)?;
        match v {
            Value::Obj(id) => match self.objs.get(*id) {
                Some(Obj::Tuple(t)) => Ok(t.clone()),
                _ => Err(self.err("arguments are not a tuple")),
            },
            _ => Err(self.err("arguments are not a tuple")),
        }
    }

    fn seq_items(&mut self, v: &Value) -> Result<Vec<Value>> {
        let n = match self.objs_get(v) {
            Some(Obj::Tuple(t)) | Some(Obj::List(t)) | Some(Obj::Set(t)) => t.len(),
            _ => 0,
        };
        self.charge(n)?;
        match v {
            Value::Obj(id) => match self.objs.get(*id) {
                Some(Obj::Tuple(t)) | Some(Obj::List(t)) | Some(Obj::Set(t)) => Ok(t.clone()),
                _ => Err(self.err("expected a sequence")),
            },
            _ => Err(self.err("expected a sequence")),
        }
    }

    fn int(&self, v: &Value, what: &str) -> Result<i64> {
        match v {
            Value::Int(i) => Ok(*i),
            Value::Bool(b) => Ok(i64::from(*b)),
            Value::BigInt(_) => Err(Error::invalid("<unnamed>", format!("{what} overflows i64"))),
            _ => Err(self.err(format!("{what} is not an integer"))),
        }
    }

    fn non_negative(&self, v: &Value, what: &str) -> Result<u64> {
        let i = self.int(v, what)?;
        u64::try_from(i).map_err(|_| Error::invalid("<unnamed>", format!("negative {what} {i}")))
    }

    fn int_seq(&mut self, v: &Value, what: &str) -> Result<Vec<u64>> {
        self.seq_items(v)?
            .iter()
            .map(|x| self.non_negative(x, what))
            .collect()
    }

    /// "Calls" an allowlisted global: builds the data value it stands for.
    fn call(&mut self, g: Global, args: Vec<Value>) -> Result<Value> {
        match g {
            Global::OrderedDict | Global::Dict => {
                let mut d = Dict::default();
                if let Some(pairs) = args.first() {
                    for pair in self.seq_items(pairs)? {
                        let kv = self.seq_items(&pair)?;
                        if kv.len() != 2 {
                            return Err(self.err("dict item is not a pair"));
                        }
                        d.insert(kv[0].clone(), kv[1].clone());
                    }
                }
                Ok(self.new_obj(Obj::Dict(d)))
            }
            Global::List | Global::Tuple | Global::Set | Global::FrozenSet | Global::Size => {
                let items = match args.first() {
                    Some(a) => self.seq_items(a)?,
                    None => Vec::new(),
                };
                Ok(self.new_obj(match g {
                    Global::List => Obj::List(items),
                    Global::Set | Global::FrozenSet => Obj::Set(items),
                    _ => Obj::Tuple(items),
                }))
            }
            Global::RebuildTensorV2 | Global::RebuildTensor => {
                if args.len() < 4 {
                    return Err(self.err("_rebuild_tensor needs at least 4 arguments"));
                }
                let storage = self.storage_of(&args[0])?;
                let offset = self.non_negative(&args[1], "storage offset")?;
                let shape = self.int_seq(&args[2], "size")?;
                let stride = self.int_seq(&args[3], "stride")?;
                if shape.len() != stride.len() {
                    return Err(Error::invalid(
                        "<unnamed>",
                        format!(
                            "size has {} dims but stride has {}",
                            shape.len(),
                            stride.len()
                        ),
                    ));
                }
                Ok(self.new_obj(Obj::Tensor(TensorRef {
                    storage,
                    offset,
                    shape,
                    stride,
                })))
            }
            Global::RebuildParameter | Global::RebuildParameterWithState => {
                let data = args
                    .into_iter()
                    .next()
                    .ok_or_else(|| self.err("_rebuild_parameter without data"))?;
                match self.objs_get(&data) {
                    Some(Obj::Tensor(_)) => Ok(data),
                    _ => Err(self.err("_rebuild_parameter data is not a tensor")),
                }
            }
            Global::RebuildFromTypeV2 => {
                if args.len() < 3 {
                    return Err(self.err("_rebuild_from_type_v2 needs 4 arguments"));
                }
                let func = self.global_of(&args[0])?;
                let new_type = self.global_of(&args[1])?;
                if !matches!(new_type, Global::TensorClass | Global::ParameterClass) {
                    return Err(self.err("_rebuild_from_type_v2 with a non-tensor type"));
                }
                if !matches!(
                    func,
                    Global::RebuildTensorV2 | Global::RebuildTensor | Global::RebuildParameter
                ) {
                    return Err(self.err("_rebuild_from_type_v2 with an unexpected function"));
                }
                let inner = self.tuple_items(&args[2])?;
                self.call(func, inner)
            }
            Global::CodecsEncode => {
                let s = match args.first() {
                    Some(Value::Str(s)) => s.clone(),
                    _ => return Err(self.err("_codecs.encode needs a string")),
                };
                let mut out = Vec::with_capacity(s.len());
                for c in s.chars() {
                    let c = u32::from(c);
                    let b = u8::try_from(c).map_err(|_| self.err("_codecs.encode: not latin-1"))?;
                    out.push(b);
                }
                Ok(Value::Bytes(Rc::from(out)))
            }
            Global::Device => Ok(self.new_obj(Obj::Opaque("torch.device"))),
            Global::TensorClass
            | Global::ParameterClass
            | Global::Storage(_)
            | Global::DType(_) => Err(self.err(format!("{g:?} is not callable"))),
        }
    }

    fn objs_get(&self, v: &Value) -> Option<&Obj> {
        match v {
            Value::Obj(id) => self.objs.get(*id),
            _ => None,
        }
    }

    fn storage_of(&self, v: &Value) -> Result<StorageRef> {
        match self.objs_get(v) {
            Some(Obj::Storage(s)) => Ok(s.clone()),
            _ => Err(self.err("tensor storage is not a persistent storage")),
        }
    }

    fn persistent_load(&mut self, pid: &Value) -> Result<Value> {
        let items = self.tuple_items(pid)?;
        let tag = match items.first() {
            Some(Value::Str(s)) => s.clone(),
            _ => return Err(self.err("persistent id is not a ('storage', ...) tuple")),
        };
        if &*tag != "storage" || items.len() < 5 {
            return Err(self.err(format!("unsupported persistent id kind {tag:?}")));
        }
        let dtype = match self.global_of(&items[1])? {
            Global::Storage(dt) => dt,
            Global::DType(dt) => dt,
            _ => return Err(self.err("persistent id storage type is not a torch storage")),
        };
        let key = match &items[2] {
            Value::Str(s) => s.to_string(),
            Value::Int(i) => i.to_string(),
            _ => return Err(self.err("persistent id storage key is not a string")),
        };
        let numel = self.non_negative(&items[4], "storage size")?;
        let view = match items.get(5) {
            None | Some(Value::None) => None,
            Some(v) => {
                let t = self.tuple_items(v)?;
                if t.len() != 3 {
                    return Err(self.err("storage view metadata is not (key, offset, size)"));
                }
                let vkey = match &t[0] {
                    Value::Str(s) => s.to_string(),
                    _ => return Err(self.err("storage view key is not a string")),
                };
                let off = self.non_negative(&t[1], "storage view offset")?;
                let size = self.non_negative(&t[2], "storage view size")?;
                Some((vkey, off, size))
            }
        };
        let s = StorageRef {
            dtype,
            key,
            numel,
            view,
        };
        Ok(self.new_obj(Obj::Storage(s)))
    }
}
