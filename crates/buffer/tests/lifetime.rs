//! Lifetimes: buffers outlive producers, exported tensors outlive the buffer's owner, and every
//! deleter runs exactly once.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Spec, count, legacy, versioned};
use sparsebridge_buffer::Buffer;
use sparsebridge_buffer::dlpack::export::{RawTensor, export_legacy, export_versioned};
use sparsebridge_buffer::dlpack::import::{ImportOptions, import_legacy, import_versioned};

#[test]
fn buffer_outlives_producer_handle_and_views_keep_it_alive() {
    let (p, c) = versioned(&Spec::f64s(&[1.0, 2.0, 3.0, 4.0]));
    // SAFETY: valid tensor, handed over once; the test keeps no other reference to it.
    let imp = unsafe { import_versioned(p, &ImportOptions::default()) }.unwrap();
    let whole = imp.buffer;
    let tail = whole.slice(2, 2).unwrap();
    let clone = whole.clone();
    drop(whole);
    assert_eq!(count(&c), 0);
    assert_eq!(tail.as_slice::<f64>().unwrap(), &[3.0, 4.0]);
    drop(clone);
    assert_eq!(count(&c), 0);
    assert_eq!(tail.as_slice::<f64>().unwrap(), &[3.0, 4.0]);
    drop(tail);
    assert_eq!(count(&c), 1);
}

#[test]
fn legacy_import_deleter_runs_once() {
    let (p, c) = legacy(&Spec::f64s(&[7.0]));
    // SAFETY: valid tensor, handed over once.
    let imp = unsafe { import_legacy(p, &ImportOptions::default()) }.unwrap();
    let views: Vec<Buffer> = (0..8).map(|_| imp.buffer.clone()).collect();
    drop(imp);
    drop(views);
    assert_eq!(count(&c), 1);
}

#[test]
fn exported_tensor_outlives_the_buffer_owner() {
    let b = Buffer::from_vec(vec![10i32, 20, 30]);
    let t = export_versioned(b.clone()).unwrap();
    drop(b);
    let RawTensor::Versioned(raw) = t.into_raw() else {
        panic!("versioned expected")
    };
    // SAFETY: we hold the only reference to the exported tensor; data is 3 aligned i32s.
    unsafe {
        let data = (*raw).dl_tensor.data.cast::<i32>();
        assert_eq!(std::slice::from_raw_parts(data, 3), &[10, 20, 30]);
        ((*raw).deleter.unwrap())(raw);
    }
}

#[test]
fn re_export_of_an_import_releases_the_producer_once_after_both() {
    let (p, c) = versioned(&Spec::f64s(&[1.0, 2.0]));
    // SAFETY: valid tensor, handed over once.
    let imp = unsafe { import_versioned(p, &ImportOptions::default()) }.unwrap();
    let t = export_legacy(imp.buffer.clone()).unwrap();
    drop(imp);
    assert_eq!(count(&c), 0, "the exported tensor still holds the import");
    let RawTensor::Legacy(raw) = t.into_raw() else {
        panic!("legacy expected")
    };
    // A second consumer imports our export, and drops it.
    // SAFETY: `raw` is our own export, handed over once.
    let again = unsafe { import_legacy(raw, &ImportOptions::default()) }.unwrap();
    assert_eq!(again.buffer.as_slice::<f64>().unwrap(), &[1.0, 2.0]);
    assert_eq!(count(&c), 0);
    drop(again);
    assert_eq!(count(&c), 1);
}

#[test]
fn unconsumed_export_releases_on_drop() {
    let (p, c) = versioned(&Spec::f64s(&[1.0]));
    // SAFETY: valid tensor, handed over once.
    let imp = unsafe { import_versioned(p, &ImportOptions::default()) }.unwrap();
    let t = export_versioned(imp.buffer).unwrap();
    assert_eq!(count(&c), 0);
    drop(t);
    assert_eq!(count(&c), 1);
}

#[test]
fn clones_dropped_on_many_threads_release_once() {
    for _ in 0..20 {
        let (p, c) = versioned(&Spec::f64s(&[1.0, 2.0, 3.0]));
        // SAFETY: valid tensor, handed over once.
        let imp = unsafe { import_versioned(p, &ImportOptions::default()) }.unwrap();
        let seen = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let b = imp.buffer.slice(i % 3, 1).unwrap();
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let v = b.as_slice::<f64>().unwrap()[0];
                    seen.fetch_add(v as usize, Ordering::SeqCst);
                })
            })
            .collect();
        drop(imp);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(seen.load(Ordering::SeqCst), 1 + 2 + 3 + 1);
        assert_eq!(count(&c), 1);
    }
}
