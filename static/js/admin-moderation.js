// The moderation desk's keyboard and in-place tools. Everything here has a plain HTML
// fallback: row actions are buttons in forms, quick edit and thread context are pages.
//
// j/k move between comments; a, u, s, d approve, unapprove, mark as spam and remove the
// current one (the page reloads with the next comment current); r replies, q edits in
// place, c shows where it sits in the thread, o or Enter shows the whole text, x selects
// it for a bulk action, z undoes the last action and ? shows the keys.
'use strict';
{
    const STORE = 'moderation-desk-focus';
    // What the desk says, in the site's language: the page hands the strings over in a
    // JSON block (templates/admin/comments/comment/_desk_tools.html); English otherwise.
    const TEXT = Object.assign({
        unavailable: 'That action is not available for this comment.',
        nothing_to_undo: 'There is nothing to undo.',
        text_of: 'Text of comment #%(number)s',
        save: 'Save',
        cancel: 'Cancel',
        edit_keys: '(Ctrl+Enter saves, Escape cancels)',
        loading: 'Loading…',
        load_failed: 'Could not load the thread.',
    }, (() => {
        const block = document.getElementById('desk-strings');
        try {
            return block ? JSON.parse(block.textContent) || {} : {};
        } catch (error) {
            return {};
        }
    })());
    const rows = () => Array.from(document.querySelectorAll('#result_list tr.queue-row'));
    let current = null;

    function notice(text) {
        const live = document.getElementById('desk-notice');
        if (live) {
            live.textContent = '';
            window.setTimeout(() => { live.textContent = text; }, 50);
        }
    }

    function scope() {
        // The current row in the queue, or the comment on its own page.
        return current || document.querySelector('form.moderation-actions');
    }

    function setCurrent(row, {focus = true} = {}) {
        if (!row) {
            return;
        }
        if (current) {
            current.classList.remove('is-current');
        }
        current = row;
        row.classList.add('is-current');
        if (focus) {
            row.focus({preventScroll: true});
            row.scrollIntoView({block: 'nearest'});
        }
    }

    function move(step) {
        const all = rows();
        if (!all.length) {
            return;
        }
        const index = current ? all.indexOf(current) + step : 0;
        setCurrent(all[Math.max(0, Math.min(all.length - 1, index))]);
    }

    function remember(row) {
        // After the page reloads, the comment below this one becomes current.
        const all = rows();
        const index = all.indexOf(row);
        const next = all[index + 1] || all[index - 1];
        sessionStorage.setItem(STORE, JSON.stringify({
            page: location.pathname + location.search,
            next: next ? next.dataset.commentId : null,
            index: index,
        }));
    }

    function restore() {
        let saved = null;
        try {
            saved = JSON.parse(sessionStorage.getItem(STORE));
        } catch (error) {
            saved = null;
        }
        sessionStorage.removeItem(STORE);
        const all = rows();
        if (!all.length) {
            return;
        }
        if (saved && saved.page === location.pathname + location.search) {
            const row = document.getElementById('row-' + saved.next) ||
                all[Math.min(saved.index, all.length - 1)];
            setCurrent(row);
        } else {
            setCurrent(all[0], {focus: false});
        }
    }

    function act(key) {
        const target = scope();
        const control = target && target.querySelector('.row-actions [data-key="' + key + '"]');
        if (!control) {
            notice(TEXT.unavailable);
            return;
        }
        if (key === 'q') {
            quickEdit(target, control);
        } else if (key === 'c') {
            toggleContext(target, control);
        } else {
            if (current) {
                remember(current);
            }
            control.click();
        }
    }

    function undo() {
        const button = document.querySelector('.undo-bar button');
        if (!button) {
            notice(TEXT.nothing_to_undo);
            return;
        }
        // The comment the undone action touched becomes current again.
        sessionStorage.setItem(STORE, JSON.stringify({
            page: location.pathname + location.search,
            next: button.dataset.focus || (current && current.dataset.commentId),
            index: current ? rows().indexOf(current) : 0,
        }));
        button.click();
    }

    function csrfToken() {
        const field = document.querySelector('input[name=csrfmiddlewaretoken]');
        return field ? field.value : '';
    }

    function quickEdit(target, link) {
        const open = target.querySelector('.quick-edit');
        if (open) {
            open.querySelector('textarea').focus();
            return;
        }
        const text = target.querySelector('.comment-text');
        if (!text) {
            // The comment's own page edits its text in the form below.
            const body = document.getElementById('id_body');
            if (body) {
                body.focus();
            } else {
                window.location.href = link.href;
            }
            return;
        }
        const id = target.dataset.commentId;
        // A form of its own (the row sits inside the list's form), joined by form="…".
        const form = document.createElement('form');
        form.method = 'post';
        form.action = link.href;
        form.id = 'quick-edit-form-' + id;
        form.hidden = true;
        for (const [name, value] of [['csrfmiddlewaretoken', csrfToken()], ['next', location.href]]) {
            const input = document.createElement('input');
            input.type = 'hidden';
            input.name = name;
            input.value = value;
            form.append(input);
        }
        document.body.append(form);

        const editor = document.createElement('div');
        editor.className = 'quick-edit';
        const label = document.createElement('label');
        label.htmlFor = 'quick-edit-' + id;
        label.textContent = TEXT.text_of.replace('%(number)s', id);
        const area = document.createElement('textarea');
        area.id = 'quick-edit-' + id;
        area.name = 'body';
        area.rows = 6;
        area.setAttribute('form', form.id);
        area.value = text.textContent;
        const buttons = document.createElement('p');
        const save = document.createElement('button');
        save.type = 'submit';
        save.className = 'button default';
        save.setAttribute('form', form.id);
        save.textContent = TEXT.save;
        const cancel = document.createElement('button');
        cancel.type = 'button';
        cancel.className = 'button';
        cancel.textContent = TEXT.cancel;
        buttons.append(save, ' ', cancel, ' ' + TEXT.edit_keys);
        editor.append(label, area, buttons);
        const close = () => {
            editor.remove();
            form.remove();
            if (current) {
                current.focus();
            }
        };
        cancel.addEventListener('click', close);
        area.addEventListener('keydown', (event) => {
            if (event.key === 'Escape') {
                close();
            } else if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
                form.requestSubmit();
            }
        });
        form.addEventListener('submit', () => {
            if (current) {
                sessionStorage.setItem(STORE, JSON.stringify({
                    page: location.pathname + location.search,
                    next: current.dataset.commentId,
                    index: rows().indexOf(current),
                }));
            }
        });
        link.closest('.row-actions').after(editor);
        area.focus();
    }

    async function toggleContext(target, link) {
        const panel = target.querySelector('.context-panel');
        if (!panel) {
            window.location.href = link.href;
            return;
        }
        link.setAttribute('aria-controls', panel.id);
        if (!panel.hidden) {
            panel.hidden = true;
            link.setAttribute('aria-expanded', 'false');
            return;
        }
        panel.hidden = false;
        link.setAttribute('aria-expanded', 'true');
        if (panel.dataset.loaded) {
            return;
        }
        panel.textContent = TEXT.loading;
        try {
            const response = await fetch(link.href, {credentials: 'same-origin'});
            const page = new DOMParser().parseFromString(await response.text(), 'text/html');
            const body = page.querySelector('.thread-context-body');
            panel.replaceChildren(body ? document.importNode(body, true) : TEXT.load_failed);
            panel.dataset.loaded = '1';
        } catch (error) {
            panel.textContent = TEXT.load_failed;
        }
    }

    function toggleText(target) {
        const toggle = target.querySelector('.text-toggle');
        if (toggle) {
            toggle.open = !toggle.open;
        }
    }

    function toggleHelp() {
        const help = document.getElementById('keyboard-help');
        if (help) {
            help.open = !help.open;
            if (help.open) {
                help.querySelector('summary').focus();
            }
        }
    }

    function typing(element) {
        return element.closest('input, textarea, select, [contenteditable]') !== null;
    }

    document.addEventListener('keydown', (event) => {
        if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
            return;
        }
        const key = event.key;
        if (key === 'Escape') {
            const help = document.getElementById('keyboard-help');
            if (help && help.open) {
                help.open = false;
            }
            return;
        }
        const inRow = current && current.contains(event.target) && event.target !== current;
        const handlers = {
            j: () => move(1),
            k: () => move(-1),
            a: () => act('a'),
            u: () => act('u'),
            s: () => act('s'),
            d: () => act('d'),
            r: () => act('r'),
            q: () => act('q'),
            c: () => act('c'),
            z: undo,
            o: () => toggleText(scope()),
            x: () => current && current.querySelector('input.action-select').click(),
            '?': toggleHelp,
        };
        if (key === 'Enter' && current && !inRow && event.target === current) {
            event.preventDefault();
            toggleText(current);
            return;
        }
        if (Object.hasOwn(handlers, key)) {
            event.preventDefault();
            handlers[key]();
        }
    });

    document.addEventListener('click', (event) => {
        const row = event.target.closest('#result_list tr.queue-row');
        if (row) {
            setCurrent(row, {focus: false});
            if (event.target.closest('.row-actions button')) {
                remember(row);
            }
        }
        const link = event.target.closest('.row-actions a[data-key="c"]');
        if (link && scope() && scope().querySelector('.context-panel')) {
            event.preventDefault();
            toggleContext(row || scope(), link);
        }
    });

    function init() {
        for (const row of rows()) {
            row.tabIndex = -1;
            // Offer "Show all" wherever three lines do not hold the text.
            const text = row.querySelector('.comment-text');
            const toggle = row.querySelector('.text-toggle');
            if (text && toggle && text.scrollHeight > text.clientHeight + 1) {
                toggle.hidden = false;
            }
        }
        const help = document.getElementById('keyboard-help');
        if (help) {
            help.hidden = false;
        }
        const single = document.querySelector('form.moderation-actions');
        if (single) {
            single.classList.add('has-keys');
        }
        restore();
    }

    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', init);
    } else {
        init();
    }
}
