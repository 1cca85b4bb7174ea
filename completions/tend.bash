# bash completion for tend — source it, or install it as
# /usr/share/bash-completion/completions/tend.
_tend_services()
{
    # Names from the running daemon; never starts one just to complete.
    tend ps --no-autostart 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_tend()
{
    local cur=${COMP_WORDS[COMP_CWORD]} first=${COMP_WORDS[1]} second=${COMP_WORDS[2]}
    local commands="daemon apply validate services platform why dashboard token jobs runs events rpc script up down ps logs"
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$commands --help --version --host --token-file --cacert --cert --key" -- "$cur"))
        return
    fi
    case "$first" in
    services)
        if [ "$COMP_CWORD" -eq 2 ]; then
            COMPREPLY=($(compgen -W "list status start stop restart logs dependencies validate health monitor readiness check" -- "$cur"))
        elif [[ "$cur" == -* ]]; then
            COMPREPLY=($(compgen -W "--json --force --follow --lines --running --category --interval --count --start -c --no-autostart" -- "$cur"))
        else
            case "$second" in
            status|start|stop|restart|logs|dependencies|health|monitor) COMPREPLY=($(compgen -W "$(_tend_services)" -- "$cur")) ;;
            esac
        fi ;;
    platform)
        if [ "$COMP_CWORD" -eq 2 ]; then
            COMPREPLY=($(compgen -W "start stop restart status health logs" -- "$cur"))
        elif [[ "$cur" == -* ]]; then
            COMPREPLY=($(compgen -W "--force --json --follow --lines --no-autostart" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(_tend_services)" -- "$cur"))
        fi ;;
    why|up|down|logs) COMPREPLY=($(compgen -W "$(_tend_services)" -- "$cur")) ;;
    dashboard) COMPREPLY=($(compgen -W "--no-open --json --no-autostart" -- "$cur")) ;;
    token)
        if [ "$COMP_CWORD" -eq 2 ]; then
            COMPREPLY=($(compgen -W "create list revoke rotate" -- "$cur"))
        elif [[ "$cur" == -* ]]; then
            COMPREPLY=($(compgen -W "--read-only --expires --json --no-autostart" -- "$cur"))
        else
            case "$second" in
            revoke|rotate) COMPREPLY=($(compgen -W "$(tend token list --no-autostart 2>/dev/null | awk 'NR > 1 { print $1 }')" -- "$cur")) ;;
            esac
        fi ;;
    jobs|runs|events) COMPREPLY=($(compgen -W "--service --phase --follow --json" -- "$cur")) ;;
    daemon)
        if [[ "$cur" == -* ]]; then
            COMPREPLY=($(compgen -W "-c --http --no-cgroups --listen --tls-cert --tls-key --tls-client-ca" -- "$cur"))
        else
            COMPREPLY=($(compgen -f -- "$cur"))
        fi ;;
    apply|validate) COMPREPLY=($(compgen -f -- "$cur")) ;;
    script)
        # The script (a .lua file, or a folder on the way); what follows it is the script's.
        if [ "$COMP_CWORD" -eq 2 ]; then
            COMPREPLY=($(compgen -W "--help --no-autostart" -- "$cur") $(compgen -d -- "$cur") $(compgen -f -X '!*.lua' -- "$cur"))
        fi ;;
    rpc)
        [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "$(tend rpc --no-autostart rpc.discover 2>/dev/null | sed -n 's/^ *"name": "\([a-z_]*\.[a-z_]*\)",*$/\1/p')" -- "$cur")) ;;
    esac
}
complete -F _tend tend
