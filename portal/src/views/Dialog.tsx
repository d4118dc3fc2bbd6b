import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

/**
 * A modal dialog on the native <dialog> element: showModal() makes the rest
 * of the page inert (focus stays inside), focuses the first field (or the
 * element marked autofocus), and Escape closes it.
 */
export function Dialog({
  title,
  onClose,
  children,
  id = "dialog",
}: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  id?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
    const onCancel = (event: Event): void => {
      event.preventDefault();
      close.current();
    };
    dialog.addEventListener("cancel", onCancel);
    return () => {
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
      opener?.focus();
    };
  }, []);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
    </dialog>
  );
}

/** A dialog form's buttons: its submit button, then Cancel. */
export function DialogButtons({
  submit,
  disabled,
  danger = false,
  onCancel,
}: {
  submit: string;
  disabled: boolean;
  danger?: boolean;
  onCancel: () => void;
}) {
  return (
    <div class="buttons">
      <button type="submit" class={danger ? "danger" : undefined} disabled={disabled}>
        {submit}
      </button>
      <button type="button" class="secondary" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
